-- wrk script: cycles through the request paths listed (one a line) in the file named by WRK_PATHS,
-- each connection starting at a different place, and prints exact percentiles as JSON at the end.
-- With WRK_DISJOINT set to the number of threads, each thread takes its own share of the paths (every
-- n-th, from the start), so no path is asked twice before the list runs out: what no cache has seen.
-- With WRK_DELAY_MS, each connection waits about that long before each request (between half and one and
-- a half times it, at random, so that the connections do not fall into step): clients at a person's pace
-- (latency without the queueing of a saturated closed loop).
local paths = {}
local counter = 0
local threads = 0

local pause = tonumber(os.getenv("WRK_DELAY_MS") or "")
if pause then
  function delay()
    return math.random(math.floor(pause / 2), math.floor(pause * 3 / 2))
  end
end

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  local disjoint = tonumber(os.getenv("WRK_DISJOINT") or "")
  local i = 0
  for line in io.lines(os.getenv("WRK_PATHS")) do
    if #line > 0 then
      if not disjoint or i % disjoint == (thread_id - 1) then table.insert(paths, line) end
      i = i + 1
    end
  end
  counter = disjoint and 0 or math.random(#paths)
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "errors": %d, "non2xx": %d, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), errors,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
