-- wrk script: POSTs the pre-signed Slack events of gen_events.py, each thread its own share, so
-- no event is sent twice. Args: FILE THREADS PATH.
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
    local path = args[3]
    for line in io.lines(args[1]) do
        if n % stride == id then
            local ts, sig, body = line:match("^(%d+)\t([^\t]+)\t(.*)$")
            requests[#requests + 1] = wrk.format("POST", path, {
                ["Content-Type"] = "application/json",
                ["User-Agent"] = "Slackbot 1.0 (+https://api.slack.com/robots)",
                ["X-Slack-Request-Timestamp"] = ts,
                ["X-Slack-Signature"] = sig,
            }, body)
        end
        n = n + 1
    end
    next_request = 1
    statuses = {}
end

function request()
    local r = requests[next_request]
    next_request = next_request % #requests + 1
    return r
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
