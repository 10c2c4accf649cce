-- wrk script: POST /api/v1/auth/login, cycling over the accounts bench.sh registers.
local accounts = tonumber(os.getenv("BENCH_ACCOUNTS") or "16")
local i = 0

request = function()
	i = i % accounts + 1
	local body = string.format('{"email":"bench%d@bench.quangtri.vn","password":"mat-khau-do-tai-2026"}', i)
	return wrk.format("POST", "/api/v1/auth/login", {["Content-Type"] = "application/json"}, body)
end
