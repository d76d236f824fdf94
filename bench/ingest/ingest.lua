-- wrk script: POSTs the pre-signed webhooks of gen_signed.py, each thread its own share, so no
-- message is sent twice. Args: FILE THREADS [REQUESTS_PER_SECOND_PER_CONNECTION] (0 or absent:
-- as fast as it can) [ACCOUNT] (default bench).
local threads = {}
local counter = 0

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

function init(args)
    requests = {}
    local n = 0
    local stride = tonumber(args[2])
    local path = "/hooks/" .. (args[4] or "bench")
    for line in io.lines(args[1]) do
        if n % stride == id then
            local ts, sig, body = line:match("^(%d+)\t([^\t]+)\t(.*)$")
            requests[#requests + 1] = wrk.format("POST", path, {
                ["Content-Type"] = "application/json",
                ["X-Rapport-Timestamp"] = ts,
                ["X-Rapport-Signature"] = sig,
            }, body)
        end
        n = n + 1
    end
    next_request = 1
    local rate = tonumber(args[3] or "0")
    pause = rate > 0 and (1000 / rate) or 0
    statuses = {}
end

function request()
    local r = requests[next_request]
    next_request = next_request % #requests + 1
    return r
end

-- wrk waits whole milliseconds: a fractional pause is dithered between the two nearest, so
-- the mean is the pause asked for.
function delay()
    local whole = math.floor(pause)
    if math.random() < pause - whole then
        return whole + 1
    end
    return whole
end

function response(status)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency)
    io.write(string.format("p50_ms %.2f p99_ms %.2f\n", latency:percentile(50) / 1000,
                           latency:percentile(99) / 1000))
    for _, t in ipairs(threads) do
        local s = t:get("statuses")
        if s then
            for code, n in pairs(s) do
                io.write(string.format("status %s %d\n", code, n))
            end
        end
    end
end
