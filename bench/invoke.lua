-- wrk script: POST with a fresh Idempotency-Key per request; reports JSON for bench/run.py.
-- Reads BENCH_PATH, BENCH_BODY, BENCH_TENANT, BENCH_USER, BENCH_KEY, BENCH_RUN from the environment.
-- Counts answers by status, so the bench can count only the 200s and name anything else.
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  statuses = {}
  prefix = string.format("%s-%d-", os.getenv("BENCH_RUN") or "run", id)
  headers = {
    ["Content-Type"] = "application/json",
    ["X-Tenant-ID"] = os.getenv("BENCH_TENANT"),
    ["X-User-ID"] = os.getenv("BENCH_USER"),
    ["X-API-Key"] = os.getenv("BENCH_KEY"),
  }
  body = os.getenv("BENCH_BODY")
  path = os.getenv("BENCH_PATH")
end

function request()
  counter = counter + 1
  headers["Idempotency-Key"] = prefix .. counter
  return wrk.format("POST", path, headers, body)
end

function response(status, response_headers, response_body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(totals) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '\nBENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "statuses": {%s}, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    table.concat(parts, ", "), errors))
end
