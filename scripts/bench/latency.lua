-- wrk script: prints one line "rps p50_ms p95_ms p99_ms errors" after the run,
-- and, with BENCH_IDS naming a file of listing ids (one per line), asks
-- for a random one of them each time (path: /api/v1/listings/<id>, then
-- BENCH_SUFFIX if set, e.g. /matches).
local ids = {}
local ids_file = os.getenv("BENCH_IDS")
local suffix = os.getenv("BENCH_SUFFIX") or ""
if ids_file and ids_file ~= "" then
	for line in io.lines(ids_file) do
		ids[#ids + 1] = line
	end
end

init = function(args)
	math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

request = function()
	if #ids > 0 then
		return wrk.format("GET", "/api/v1/listings/" .. ids[math.random(#ids)] .. suffix)
	end
	return wrk.format("GET")
end

done = function(summary, latency, requests)
	local errors = summary.errors.connect + summary.errors.read + summary.errors.write
		+ summary.errors.status + summary.errors.timeout
	io.write(string.format("RESULT %.0f %.2f %.2f %.2f %d\n", summary.requests / (summary.duration / 1e6),
		latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, errors))
end
