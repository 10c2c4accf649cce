-- wrk script of bench/run: what each request of a scenario asks, and one
-- result line when the run ends:
--   RESULT <req/s> <p50 ms> <p95 ms> <p99 ms> <errors> <non-2xx> <5xx> <socket errors> <requests>
--   STATUS <code> <count>        (one line per non-2xx status seen)
-- errors = non-2xx responses + socket errors (connect, read, write, timeout).
--
-- Environment (set by bench/run):
--   BENCH_SCENARIO  by_id | matches | create | mixed | anything else: GET of the URL given to wrk
--   BENCH_IDS       file of listing ids, one a line (by_id, matches, mixed)
--   BENCH_BODIES    file of POST /listings bodies, one a line (create, mixed)
--   BENCH_TOKEN     Bearer token of a verified organisation's member (create, mixed)
--   BENCH_SEARCH, BENCH_THIRD  paths with query of the search and the third page (mixed)
--   BENCH_ACCOUNTS  accounts bench1..N@bench.quangtri.vn to log in as (login)

local scenario = os.getenv("BENCH_SCENARIO") or ""

local function lines(path)
	local t = {}
	if path and path ~= "" then
		for line in io.lines(path) do
			if line ~= "" then t[#t + 1] = line end
		end
	end
	return t
end

local ids = lines(os.getenv("BENCH_IDS"))
local bodies = lines(os.getenv("BENCH_BODIES"))
local token = os.getenv("BENCH_TOKEN") or ""
local search = os.getenv("BENCH_SEARCH") or ""
local third = os.getenv("BENCH_THIRD") or ""
local accounts = tonumber(os.getenv("BENCH_ACCOUNTS") or "16")
local create_headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
local login_headers = {["Content-Type"] = "application/json"}

local threads = {}
local counter = 0

setup = function(thread)
	counter = counter + 1
	thread:set("id", counter)
	threads[#threads + 1] = thread
end

non2xx, s5xx, statuses = 0, 0, {}
local account = 0

init = function(args)
	math.randomseed(os.time() * 1000 + (id or 0) * 7919 + math.floor(os.clock() * 1e6))
	account = (id or 0) * 97
end

local function by_id(suffix)
	return wrk.format("GET", "/api/v1/listings/" .. ids[math.random(#ids)] .. suffix)
end

local function create()
	return wrk.format("POST", "/api/v1/listings", create_headers, bodies[math.random(#bodies)])
end

request = function()
	if scenario == "by_id" then
		return by_id("")
	elseif scenario == "matches" then
		return by_id("/matches")
	elseif scenario == "create" then
		return create()
	elseif scenario == "mixed" then
		-- 90 % reads spread evenly over by_id, search and third_page; 10 % creates.
		local r = math.random(10)
		if r <= 3 then return by_id("") end
		if r <= 6 then return wrk.format("GET", search) end
		if r <= 9 then return wrk.format("GET", third) end
		return create()
	elseif scenario == "login" then
		account = account % accounts + 1
		return wrk.format("POST", "/api/v1/auth/login", login_headers, string.format(
			'{"email":"bench%d@bench.quangtri.vn","password":"mat-khau-do-tai-2026"}', account))
	end
	return wrk.format("GET")
end

response = function(status, headers, body)
	if status < 200 or status > 299 then
		non2xx = non2xx + 1
		statuses[status] = (statuses[status] or 0) + 1
		if status >= 500 then s5xx = s5xx + 1 end
	end
end

done = function(summary, latency, requests)
	local n, five = 0, 0
	local codes = {}
	for _, t in ipairs(threads) do
		n = n + (t:get("non2xx") or 0)
		five = five + (t:get("s5xx") or 0)
		for code, count in pairs(t:get("statuses") or {}) do
			codes[code] = (codes[code] or 0) + count
		end
	end
	local e = summary.errors
	local sockets = e.connect + e.read + e.write + e.timeout
	io.write(string.format("RESULT %.1f %.2f %.2f %.2f %d %d %d %d %d\n",
		summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
		latency:percentile(95) / 1000, latency:percentile(99) / 1000, n + sockets, n, five, sockets,
		summary.requests))
	for code, count in pairs(codes) do
		io.write(string.format("STATUS %d %d\n", code, count))
	end
end
