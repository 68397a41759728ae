-- Loaded by the wrk scripts of bench/authority: numbers wrk's threads 1, 2, ... (the global `id`
-- in each thread's init), so each thread can pick its own task, proofs or audit instance.
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
