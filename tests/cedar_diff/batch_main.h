// The main of both differential drivers: read a JSON batch file, run each item of
// `doc[key]`, print `{key: [results]}` for the node side to compare with cedar-wasm.
#pragma once

#include <boost/json.hpp>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "src/json/json.h"

namespace mandate::cedar_diff {

inline int RunBatch(int argc, char** argv, const char* name, const char* key,
                    const std::function<boost::json::value(const boost::json::object&)>& run) {
  if (argc != 2) {
    std::cerr << "usage: " << name << " CASES.json\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream buf;
  buf << in.rdbuf();
  auto doc = json::Parse(buf.str(), json::Limits{1u << 30, 256});
  if (!doc) {
    std::cerr << doc.error().ToString() << "\n";
    return 1;
  }
  boost::json::array out;
  for (const boost::json::value& item : doc->as_object().at(key).as_array()) {
    out.push_back(run(item.as_object()));
  }
  std::cout << boost::json::serialize(boost::json::object{{key, std::move(out)}}) << "\n";
  return 0;
}

}  // namespace mandate::cedar_diff
