-- bench/axl.lua: AXL SOAP requests for wrk (bench/run.py drives it).
--
--   wrk -s bench/axl.lua -H 'Authorization: Basic ...' URL -- OP PREFIX [key=value ...]
--
-- OP: getProfile, listProfile, addProfile, updateProfile, getPhone,
-- updatePhone, addPhone, mixed.  PREFIX makes the names of this run's new
-- rows unique (adds never collide across runs or threads).  Options:
--   nprof=N     seeded profiles BenchProfile-00001 .. (reads and updates pick at random)
--   nphones=N   seeded phones SEP000000000001 .. (hexadecimal)
--   hex=XXXX    4 hex digits unique to the run, for addPhone's SEP names
--   limit=N     stop after N responses (one wrk thread only): for the bulk and
--               memory checks, which time themselves with CLOCK_MONOTONIC
--   pid=P       with rss_at=N: read VmRSS of process P after N responses and at the end
--
-- done() prints one line "BENCH key=value ..." that run.py parses: latency
-- percentiles in microseconds (wrk's own histogram), request and error counts.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec_t;
int clock_gettime(int clk, bench_timespec_t *ts);
int tgkill(int tgid, int tid, int sig);
int getpid(void);
]]

local function now()
   local ts = ffi.new("bench_timespec_t")
   ffi.C.clock_gettime(1, ts)     -- CLOCK_MONOTONIC
   return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

-- main state: number the threads ------------------------------------------
local threads = {}
local nthreads = 0

function setup(thread)
   nthreads = nthreads + 1
   thread:set("tid", nthreads)
   table.insert(threads, thread)
end

-- thread state ---------------------------------------------------------------
local op, prefix, hexpfx
local nprof, nphones = 10000, 100000
local limit, pid, rss_at = 0, 0, 0
local seq, tid = 0, 1
local headers = {}
-- globals: done() reads them from each thread with thread:get()
responses, bad = 0, 0
t_first, t_last = 0, 0
rss_mid, rss_end = 0, 0
first_bad = ""

local ENV_OPEN = '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' ..
   'xmlns:ns="http://www.cisco.com/AXL/API/14.0"><soapenv:Header/><soapenv:Body>'
local ENV_CLOSE = '</soapenv:Body></soapenv:Envelope>'

local function soap(name, inner)
   headers["SOAPAction"] = '"CUCM:DB ver=14.0 ' .. name .. '"'
   local body = ENV_OPEN .. '<ns:' .. name .. ' sequence="' .. seq .. '">' .. inner ..
      '</ns:' .. name .. '>' .. ENV_CLOSE
   return wrk.format("POST", "/axl/", headers, body)
end

local function profile_name()
   return string.format("BenchProfile-%05d", math.random(1, nprof))
end

local function phone_name()
   return string.format("SEP%012X", math.random(1, nphones))
end

local ops = {}

ops.getProfile = function()
   return soap("getPhoneSecurityProfile", "<name>" .. profile_name() .. "</name>")
end

-- first=100 over a prefix that matches 100 seeded profiles
-- (BenchProfile-012% = BenchProfile-01200 .. 01299).
ops.listProfile = function()
   local k = math.random(0, math.max(0, math.floor(nprof / 100) - 1))
   return soap("listPhoneSecurityProfile",
      string.format("<searchCriteria><name>BenchProfile-%03d%%</name></searchCriteria>", k) ..
      "<returnedTags><name/><phoneType/><protocol/><deviceSecurityMode/></returnedTags>" ..
      "<skip>0</skip><first>100</first>")
end

ops.addProfile = function()
   return soap("addPhoneSecurityProfile",
      "<phoneSecurityProfile><phoneType>Cisco 8845</phoneType><protocol>SIP</protocol>" ..
      "<name>" .. prefix .. "-" .. tid .. "-" .. seq .. "</name>" ..
      "<description>bench add</description>" ..
      "<deviceSecurityMode>Non Secure</deviceSecurityMode></phoneSecurityProfile>")
end

ops.updateProfile = function()
   return soap("updatePhoneSecurityProfile",
      "<name>" .. profile_name() .. "</name><description>bench update " .. seq .. "</description>")
end

ops.getPhone = function()
   return soap("getPhone", "<name>" .. phone_name() .. "</name>")
end

ops.updatePhone = function()
   return soap("updatePhone",
      "<name>" .. phone_name() .. "</name><description>bench update " .. seq .. "</description>")
end

ops.addPhone = function()
   -- SEP + 4 hex digits of the run + 2 of the thread + 6 of the counter
   return soap("addPhone",
      string.format("<phone><name>SEP%s%02X%06X</name>", hexpfx, tid, seq) ..
      "<product>Cisco 8845</product><protocol>SIP</protocol></phone>")
end

-- The memory check's mix (percent): every operation, mostly the cheap read
-- so that a million requests fit in the time budget.
local mix = {
   { 80, ops.getProfile }, { 4, ops.listProfile }, { 6, ops.getPhone },
   { 3, ops.addProfile }, { 3, ops.updateProfile }, { 4, ops.updatePhone },
}
ops.mixed = function()
   local r = math.random(1, 100)
   for _, m in ipairs(mix) do
      r = r - m[1]
      if r <= 0 then return m[2]() end
   end
   return ops.getProfile()
end

local gen

local function read_rss()
   local f = io.open("/proc/" .. pid .. "/status", "r")
   if not f then return 0 end
   local s = f:read("*a")
   f:close()
   return tonumber(s:match("VmRSS:%s*(%d+)")) or 0
end

function init(args)
   op = args[1] or "getProfile"
   prefix = args[2] or "b"
   for i = 3, #args do
      local k, v = args[i]:match("^([%w_]+)=(.*)$")
      if k == "nprof" then nprof = tonumber(v)
      elseif k == "nphones" then nphones = tonumber(v)
      elseif k == "hex" then hexpfx = v
      elseif k == "limit" then limit = tonumber(v)
      elseif k == "pid" then pid = tonumber(v)
      elseif k == "rss_at" then rss_at = tonumber(v)
      end
   end
   hexpfx = hexpfx or "BE00"
   tid = wrk.thread:get("tid") or 1
   gen = ops[op]
   if gen == nil then
      io.stderr:write("axl.lua: unknown operation " .. op .. "\n")
      os.exit(2)
   end
   for k, v in pairs(wrk.headers) do headers[k] = v end
   headers["Content-Type"] = "text/xml; charset=utf-8"
   math.randomseed(os.time() * 1000 + tid * 7919)

   if limit > 0 then
      -- Counted runs look at every response (wrk parses bodies then).
      function response(status, hdrs, body)
         responses = responses + 1
         if status ~= 200 then
            bad = bad + 1
            if first_bad == "" then
               first_bad = status .. " " .. (body or ""):sub(1, 300):gsub("[\r\n]", " ")
            end
         end
         if rss_at > 0 and responses == rss_at then rss_mid = read_rss() end
         if responses == limit then
            t_last = now()
            if pid > 0 then rss_end = read_rss() end
            wrk.thread:stop()
            -- SIGINT to wrk's main thread (its tid is the pid): it ends the run now
            ffi.C.tgkill(ffi.C.getpid(), ffi.C.getpid(), 2)
         end
      end
   end
end

function request()
   seq = seq + 1
   if t_first == 0 then t_first = now() end
   return gen()
end

function done(summary, latency, requests)
   local e = summary.errors
   local t0, t1, nresp, nbad, mid, fin, fb = 0, 0, 0, 0, 0, 0, ""
   for _, t in ipairs(threads) do
      local a, b = t:get("t_first"), t:get("t_last")
      if a and a > 0 and (t0 == 0 or a < t0) then t0 = a end
      if b and b > t1 then t1 = b end
      nresp = nresp + (t:get("responses") or 0)
      nbad = nbad + (t:get("bad") or 0)
      mid = math.max(mid, t:get("rss_mid") or 0)
      fin = math.max(fin, t:get("rss_end") or 0)
      if fb == "" then fb = t:get("first_bad") or "" end
   end
   io.write(string.format(
      "BENCH requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d " ..
      "p50=%d p75=%d p90=%d p99=%d p999=%d mean=%.1f max=%d " ..
      "counted=%d counted_bad=%d elapsed=%.6f rss_mid_kb=%d rss_end_kb=%d\n",
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
      e.timeout, latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.mean, latency.max,
      nresp, nbad, (t1 > 0 and t0 > 0) and (t1 - t0) or 0, mid, fin))
   if fb ~= "" then io.write("BENCH_FIRST_BAD " .. fb .. "\n") end
end
