-- wrk script of bench/authority/run.sh: POST /v1/authorize as an agent of a steady-research
-- task. BENCH_DATA names the folder authority_http_agent wrote (token.N, proofs.N for wrk
-- thread N); BENCH_MODE is
--   bound: a connection proves possession once (the first requests of each thread carry a
--          proof, one per connection and a margin), then sends the task token alone: the server
--          verified the token (cached) and bound the caller to that connection;
--   fresh: every request carries a new DPoP proof (one Ed25519 verification per call).
-- Every answer must be 200 with decision allow: run.sh checks that with wrk's non-2xx count and the
-- server's decision counters, not here (a response() callback costs wrk per answer; see run.sh).
dofile("bench/authority/thread_ids.lua")  -- run from the repository root

function init(args)
  local dir = os.getenv("BENCH_DATA")
  mode = os.getenv("BENCH_MODE") or "bound"
  first = tonumber(os.getenv("BENCH_FIRST") or "64")
  local f = assert(io.open(dir .. "/token." .. id))
  local token = f:read("*a")
  f:close()
  proofs = {}
  for line in io.lines(dir .. "/proofs." .. id) do proofs[#proofs + 1] = line end
  headers = {["Authorization"] = "DPoP " .. token, ["Content-Type"] = "application/json"}
  wrk.body = '{"system":"docs","action":"POST","resource":"/collections/papers/search",' ..
             '"args":{"query":"group commit","limit":10},"credential":false}'
  plain = wrk.format("POST", "/v1/authorize", headers, wrk.body)
  sent = 0
end

function request()
  sent = sent + 1
  if mode == "fresh" or sent <= first then
    -- Out of proofs in fresh mode: send a bad one (refused: run.sh fails the run), never none, or the
    -- bound connection would let the call through without a fresh proof.
    headers["DPoP"] = proofs[sent] or "exhausted"
    local r = wrk.format("POST", "/v1/authorize", headers, wrk.body)
    headers["DPoP"] = nil
    return r
  end
  return plain
end
