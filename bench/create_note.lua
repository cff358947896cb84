-- wrk script for bench/notes.sh: every request creates a note, as a signed-in user's browser
-- would post the "New note" form.
--
-- Taken from the environment (set by notes.sh):
--   BENCH_COOKIE  the Cookie header value, e.g. "folio_session=..."
--   BENCH_CSRF    the csrf_token of that session (the hidden field of /notes/create/)
--   BENCH_PAD     a pad id of that user, or empty for "no pad"
--
-- A successful create answers 303. wrk itself only counts socket errors and statuses >= 400,
-- so a 200 (the form shown again with validation errors) or a 302 (sent to sign in: the
-- session was not recognised) would pass unnoticed. This script counts every response that
-- is not a 3xx and prints the total as "Unexpected (non-3xx) responses: N" for notes.sh.

local function need(name)
   local value = os.getenv(name)
   if value == nil then
      error(name .. " is not set")
   end
   return value
end

local function urlencode(s)
   return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local text = string.rep("A line of benchmark text, long enough to look like a short note. ", 4)

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = need("BENCH_COOKIE")
wrk.body = "name=" .. urlencode("Benchmark note")
   .. "&text=" .. urlencode(text)
   .. "&pad=" .. urlencode(need("BENCH_PAD"))
   .. "&csrf_token=" .. urlencode(need("BENCH_CSRF"))

-- Each wrk thread runs its own Lua state; setup() runs in the main one and keeps a handle on
-- every thread so done() can collect their counters.
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   unexpected = 0
   statuses = {}
end

function response(status, headers, body)
   if status < 300 or status >= 400 then
      unexpected = unexpected + 1
   end
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local total = 0
   local merged = {}
   for _, thread in ipairs(threads) do
      total = total + thread:get("unexpected")
      for status, count in pairs(thread:get("statuses")) do
         merged[status] = (merged[status] or 0) + count
      end
   end
   local parts = {}
   for status, count in pairs(merged) do
      table.insert(parts, status .. "=" .. count)
   end
   table.sort(parts)
   io.write("Statuses: " .. table.concat(parts, " ") .. "\n")
   io.write("Unexpected (non-3xx) responses: " .. total .. "\n")
end
