-- wrk script of bench/reads.sh: GET /v1/organizations/tnt_read_<random 1..N> with the service token.
-- Arguments (after --): N, token.
local n, token
function init(args)
  n = tonumber(args[1])
  token = args[2]
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end
function request()
  return wrk.format("GET", "/v1/organizations/tnt_read_" .. math.random(1, n), { ["Authorization"] = "Bearer " .. token })
end
