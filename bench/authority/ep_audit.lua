-- wrk script of bench/authority/run.sh (c): POST /v1/ep/audit as an enforcement point delivering
-- batches of 32 records of held-credential calls, shaped as the gateway sends them
-- (src/enforce/internal/decision_audit.cc). Each wrk connection is its own instance with rising
-- sequences, so every record is new (a resent batch would be skipped, not appended): run with
-- one connection per wrk thread, so one instance's batches arrive in order.
-- BENCH_EP_TOKEN is the enforcement-point token.
dofile("bench/authority/thread_ids.lua")  -- run from the repository root

function init(args)
  headers = {["Authorization"] = "Bearer " .. os.getenv("BENCH_EP_TOKEN"),
             ["Content-Type"] = "application/json"}
  local records = {}
  for i = 1, 32 do
    records[i] = string.format(
      '{"time_micros":%d,"agent":"spiffe://example.org/agents/researcher","task":"t_%016x",' ..
      '"step":"search","system":"docs","action":"POST","resource":"/collections/papers/search",' ..
      '"decision":"allow","reason":"","credential":"sc_%022d","proof":"bound",' ..
      '"args_digest":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}',
      1764400000000000 + i, id * 1000 + i, i)
  end
  batch = table.concat(records, ",")
  -- A new instance name per run: the authority remembers what each instance delivered.
  instance = string.format("wrk-%d-%d-%d", id, os.time(), math.random(1000000000))
  next_sequence = 1
end

function request()
  local body = string.format('{"enforcement_point":"bench-gw","instance":"%s",' ..
                             '"first_sequence":%d,"records":[%s]}', instance, next_sequence, batch)
  next_sequence = next_sequence + 32
  return wrk.format("POST", "/v1/ep/audit", headers, body)
end
