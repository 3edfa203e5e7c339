// Report: how the data is collected (a SimTarget with a step recorder) and the page.
//
// data_json keys:
//   trace:   {file, profile, note, creator}
//   caller:  {uid, cap_ipc_lock, memlock_limit (null: unlimited)}
//   regions: [{id, kind, size, base}]
//   steps:   [{seq, line, call, fd, ring, args, ret, errno, reason,
//              sqes: [{ring, slot, op, user_data, flags}], dropped: [sq_index],
//              cqes: [{ring, user_data, res, flags, errno, reason}],
//              before: {RING: state}, after: {RING: state},
//              memlock: {locked_bytes, pinned_bytes, limit (null: unlimited)},
//              model_ns (the cost model's charge for the call)}]
//     state: {sq_entries, cq_entries, sq_head, sq_tail, cq_head, cq_tail, dropped,
//             cq_overflow, overflow_backlog, sq_flags, inflight,
//             buffers: [{index, addr, len, region, offset, acct_pages, folio_size, tag}]}
//   errors:  [{step, line, kind ("call"|"cqe"), call, user_data, res, errno, reason}]
//   divergences: [{line, message}]
//   summary: {steps, sqes, cqes, errors}
#include "traces/report.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "kernel_model/context.h"
#include "kernel_model/fault.h"
#include "kernel_model/observer_list.h"
#include "kernel_model/opdef.h"
#include "kernel_model/rsrc.h"

namespace uringsim::traces {

namespace {

using Json = nlohmann::ordered_json;

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kCallerMm = 1000;  // SimTarget's caller mm

Json errno_json(int64_t res) {
  if (res >= 0) return nullptr;
  const char* n = errno_name(static_cast<int>(-res));
  return n != nullptr ? Json(n) : Json(nullptr);
}

// A SimTarget that records one step per syscall. The Kernel has one observer slot,
// which SimTarget uses for CQE reasons; prepare() puts both behind an ObserverList.
class RecordingTarget : public SimTarget {
 public:
  explicit RecordingTarget(const Profile* profile) : SimTarget(profile), hooks_(this) {}
  // The Kernel (owned by SimTarget, destroyed after our members) tears its rings down
  // through its observer: give it back SimTarget's own before observers_ goes.
  ~RecordingTarget() override {
    if (own_observer_ != nullptr) kernel().set_observer(own_observer_);
  }

  bool prepare(const Trace& trace, std::string* why) override {
    if (!SimTarget::prepare(trace, why)) return false;
    trace_ = &trace;
    own_observer_ = kernel().observer();
    observers_.add(own_observer_);
    observers_.add(&hooks_);
    kernel().set_observer(&observers_);
    for (const Event& e : trace.events) {
      if (!std::holds_alternative<MemoryEvent>(e.body) && !std::holds_alternative<PeerEvent>(e.body)) {
        call_lines_.push_back(e.line);
      }
    }
    for (const RegionDecl& r : trace.regions) {
      regions_.push_back({{"id", r.id},
                          {"kind", region_kind_name(r.kind)},
                          {"size", r.size},
                          {"base", region_address(r.id)}});
    }
    return true;
  }

  int64_t setup(uint32_t entries, uint64_t params_addr) override {
    begin("setup", -1, {{"entries", entries}});
    const int64_t fd = SimTarget::setup(entries, params_addr);
    if (fd >= 0 && step_["ring"].is_number()) fds_[step_["ring"].get<int64_t>()] = fd;
    step_["fd"] = fd >= 0 ? Json(fd) : Json(nullptr);
    end(fd);
    return fd;
  }

  int64_t enter(int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags, uint64_t arg,
                uint64_t argsz) override {
    begin("enter", fd, {{"to_submit", to_submit}, {"min_complete", min_complete}, {"flags", flags}});
    const int64_t ret = SimTarget::enter(fd, to_submit, min_complete, flags, arg, argsz);
    end(ret);
    return ret;
  }

  int64_t do_register(int fd, uint32_t opcode, uint64_t arg, uint32_t nr_args) override {
    const char* name = register_op_name(opcode & ~IORING_REGISTER_USE_REGISTERED_RING);
    begin("register", fd, {{"opcode", opcode}, {"opcode_name", name != nullptr ? name : "?"}, {"nr_args", nr_args}});
    const int64_t ret = SimTarget::do_register(fd, opcode, arg, nr_args);
    end(ret);
    return ret;
  }

  void close_ring(int fd) override {
    begin("close", fd, Json::object());
    SimTarget::close_ring(fd);
    end(0);
  }

  Json take_data() {
    Json d;
    d["regions"] = std::move(regions_);
    d["steps"] = std::move(steps_);
    d["errors"] = std::move(errors_);
    return d;
  }
  size_t sqe_count() const { return sqes_; }
  size_t cqe_count() const { return cqes_; }

 private:
  // What happens inside a call, from the Kernel's hooks.
  class Hooks : public ::uringsim::Observer {
   public:
    explicit Hooks(RecordingTarget* t) : t_(t) {}
    void after_setup(const Caller&, uint32_t, uint64_t, int64_t ret) override {
      if (ret >= 0) t_->set_ring(static_cast<RingId>(ret));
    }
    void after_register(const Caller&, RingId ring, uint32_t, uint64_t, uint32_t, int64_t) override {
      t_->set_ring(ring);
    }
    void after_enter(const Caller&, RingId ring, const EnterResult&) override { t_->set_ring(ring); }
    void on_sqe(RingId ring, const Request& req) override {
      t_->pending_sqes_.push_back({{"ring", ring},
                                   {"slot", req.sqe_index},
                                   {"op", op_name(req.opcode)},
                                   {"user_data", req.user_data},
                                   {"flags", req.flags}});
      ++t_->sqes_;
    }
    void on_cqe(RingId ring, const Cqe& cqe, const Fault* why) override {
      t_->pending_cqes_.push_back({{"ring", ring},
                                   {"user_data", cqe.user_data},
                                   {"res", cqe.res},
                                   {"flags", cqe.flags},
                                   {"errno", errno_json(cqe.res)},
                                   {"reason", why != nullptr ? why->reason : ""}});
      ++t_->cqes_;
    }
    void on_dropped(RingId, uint32_t sq_index) override { t_->pending_dropped_.push_back(sq_index); }
    void on_syscall_fault(const char*, const Fault& f) override { t_->call_reason_ = f.reason; }

   private:
    RecordingTarget* t_;
  };

  void set_ring(RingId ring) {
    if (ring != kNoRing) step_["ring"] = ring;
  }

  void begin(const char* call, int fd, Json args) {
    const size_t seq = steps_.size();
    step_ = Json::object();
    step_["seq"] = seq;
    step_["line"] = seq < call_lines_.size() ? call_lines_[seq] : 0;
    step_["call"] = call;
    step_["fd"] = fd >= 0 ? Json(fd) : Json(nullptr);
    step_["ring"] = nullptr;
    step_["args"] = std::move(args);
    step_["before"] = rings_state();
    call_reason_.clear();
    // CQEs posted between calls (none on the model today) belong to the next step.
  }

  void end(int64_t ret) {
    step_["ret"] = ret;
    step_["errno"] = errno_json(ret);
    std::string reason = call_reason_;
    if (ret < 0 && reason.empty()) reason = last_call_reason();
    step_["reason"] = reason;
    step_["sqes"] = std::move(pending_sqes_);
    step_["dropped"] = std::move(pending_dropped_);
    step_["cqes"] = std::move(pending_cqes_);
    pending_sqes_ = Json::array();
    pending_dropped_ = Json::array();
    pending_cqes_ = Json::array();
    step_["after"] = rings_state();
    // What Linux would have spent on this call (kernel_model/cost.h); close is free.
    step_["model_ns"] = std::string(step_["call"]) == "close" ? 0 : kernel().last_call_model_ns();
    const CallerDecl& c = trace_->header.caller;
    step_["memlock"] = {{"locked_bytes", kernel().accounting().locked_pages(c.uid) * kPageSize},
                        {"pinned_bytes", kernel().accounting().pinned_pages(kCallerMm) * kPageSize},
                        {"limit", c.memlock ? Json(*c.memlock) : Json(nullptr)}};
    const size_t seq = steps_.size();
    if (ret < 0) {
      errors_.push_back({{"step", seq},
                         {"line", step_["line"]},
                         {"kind", "call"},
                         {"call", step_["call"]},
                         {"user_data", nullptr},
                         {"res", ret},
                         {"errno", step_["errno"]},
                         {"reason", reason}});
    }
    for (const Json& q : step_["cqes"]) {
      if (q["res"].get<int64_t>() >= 0) continue;
      errors_.push_back({{"step", seq},
                         {"line", step_["line"]},
                         {"kind", "cqe"},
                         {"call", step_["call"]},
                         {"user_data", q["user_data"]},
                         {"res", q["res"]},
                         {"errno", q["errno"]},
                         {"reason", q["reason"]}});
    }
    steps_.push_back(std::move(step_));
    step_ = Json::object();
  }

  // Every live ring's words and tables, keyed by ring id.
  Json rings_state() {
    Json all = Json::object();
    for (RingId id = 0; id < 4096; ++id) {
      Context* ctx = kernel().context(id);
      if (ctx == nullptr) {
        if (id > max_ring_seen_) break;
        continue;
      }
      if (id > max_ring_seen_) max_ring_seen_ = id;
      const Ring& r = ctx->ring();
      Json buffers = Json::array();
      const auto& slots = ctx->buffers().slots();
      for (size_t i = 0; i < slots.size(); ++i) {
        if (!slots[i] || !slots[i]->buf) continue;
        const MappedBuffer& b = *slots[i]->buf;
        Json region = nullptr, offset = nullptr;
        for (const Json& reg : regions_) {
          const uint64_t base = reg["base"].get<uint64_t>();
          if (b.ubuf >= base && b.ubuf < base + reg["size"].get<uint64_t>()) {
            region = reg["id"];
            offset = b.ubuf - base;
          }
        }
        buffers.push_back({{"index", i},
                           {"addr", b.ubuf},
                           {"len", b.len},
                           {"region", region},
                           {"offset", offset},
                           {"acct_pages", b.acct_pages},
                           {"folio_size", b.folio_size},
                           {"tag", slots[i]->tag}});
      }
      auto fd = fds_.find(id);
      all[std::to_string(id)] = {{"fd", fd != fds_.end() ? Json(fd->second) : Json(nullptr)},
                                 {"sq_entries", r.layout().sq_entries},
                                 {"cq_entries", r.layout().cq_entries},
                                 {"sq_head", r.sq_head()},
                                 {"sq_tail", r.sq_tail()},
                                 {"cq_head", r.cq_head()},
                                 {"cq_tail", r.cq_tail()},
                                 {"dropped", r.dropped()},
                                 {"cq_overflow", r.cq_overflow_counter()},
                                 {"overflow_backlog", r.overflow_backlog()},
                                 {"sq_flags", r.sq_flags()},
                                 {"inflight", kernel().inflight(id)},
                                 {"buffers", std::move(buffers)}};
    }
    return all;
  }

  Hooks hooks_;
  ObserverList observers_;
  ::uringsim::Observer* own_observer_ = nullptr;
  const Trace* trace_ = nullptr;
  std::vector<int> call_lines_;
  Json regions_ = Json::array();
  Json steps_ = Json::array();
  Json errors_ = Json::array();
  Json step_ = Json::object();
  Json pending_sqes_ = Json::array();
  Json pending_dropped_ = Json::array();
  Json pending_cqes_ = Json::array();
  std::string call_reason_;
  std::map<RingId, int64_t> fds_;
  RingId max_ring_seen_ = 0;
  size_t sqes_ = 0;
  size_t cqes_ = 0;
};

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// JSON safe inside <script>: no "<" at all (so no "</script>" and no "<!--").
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

extern const char kPageHead[];
extern const char kPageBody[];

}  // namespace

Report build_report(const Trace& trace, const ReportOptions& options) {
  Report report;
  const size_t slash = trace.path.find_last_of('/');
  report.title = slash == std::string::npos ? trace.path : trace.path.substr(slash + 1);
  RecordingTarget target(options.profile);
  ReplayResult result = replay(trace, target, {});
  if (result.skipped) {
    report.skipped = true;
    report.skip_reason = result.skip_reason;
    return report;
  }
  Json data;
  data["trace"] = {{"file", report.title},
                   {"profile", options.profile != nullptr ? std::string(options.profile->name) : trace.header.profile},
                   {"note", trace.header.note},
                   {"creator", trace.header.creator}};
  const CallerDecl& c = trace.header.caller;
  data["caller"] = {{"uid", c.uid},
                    {"cap_ipc_lock", c.cap_ipc_lock},
                    {"memlock_limit", c.memlock ? Json(*c.memlock) : Json(nullptr)}};
  Json recorded = target.take_data();
  data["regions"] = std::move(recorded["regions"]);
  data["steps"] = std::move(recorded["steps"]);
  data["errors"] = std::move(recorded["errors"]);
  Json divergences = Json::array();
  for (const Divergence& d : result.divergences) divergences.push_back({{"line", d.line}, {"message", d.message}});
  data["divergences"] = std::move(divergences);
  report.steps = data["steps"].size();
  report.cqes = target.cqe_count();
  report.errors = data["errors"].size();
  data["summary"] = {{"steps", report.steps}, {"sqes", target.sqe_count()}, {"cqes", report.cqes}, {"errors", report.errors}};
  report.divergences = std::move(result.divergences);
  report.data_json = data.dump();
  return report;
}

std::string render_report_html(const Report& report) {
  std::string html = kPageHead;
  html += "<title>uringsim report: " + html_escape(report.title) + "</title>\n";
  html += "<script type=\"application/json\" id=\"trace-data\">" + script_safe(report.data_json) + "</script>\n";
  html += kPageBody;
  return html;
}

namespace {

const char kPageHead[] = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #1d2330; background: #fbfbfd; }
h1 { font-size: 1.4em; margin: 0 0 .2em 0; }
h2 { font-size: 1.1em; margin: 1.4em 0 .4em 0; border-bottom: 1px solid #d5d9e2; }
code, .mono, td.mono { font-family: ui-monospace, monospace; font-size: .9em; }
.note { color: #555; max-width: 70em; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 1em; }
.card { background: #fff; border: 1px solid #d5d9e2; border-radius: 6px; padding: .6em .8em; }
.card h3 { font-size: .95em; margin: 0 0 .3em 0; }
table { border-collapse: collapse; font-size: .88em; }
th, td { border: 1px solid #d5d9e2; padding: .2em .5em; text-align: left; vertical-align: top; }
th { background: #eef1f6; }
tr.err td { background: #fff1f0; }
tr.cur td { background: #fffbe0; }
.bad { color: #b3261e; font-weight: 600; }
.ok { color: #1b7f3b; font-weight: 600; }
#controls button { font-size: 1em; margin-right: .3em; }
#step-slider { width: 40em; max-width: 90%; vertical-align: middle; }
.legend span { margin-right: 1em; }
.sw { display: inline-block; width: .9em; height: .9em; vertical-align: middle; margin-right: .2em; }
#self-check { margin-top: 1.5em; padding: .5em; border-radius: 4px; }
#self-check[data-ok="true"] { background: #e7f6ec; }
#self-check[data-ok="false"] { background: #fdeceb; }
</style>
)HTML";

const char kPageBody[] = R"HTML(</head>
<body>
<h1 id="title">uringsim report</h1>
<div id="summary" class="note"></div>

<h2>Over time (x: syscall step)</h2>
<div class="grid">
  <div class="card"><h3>SQ occupancy (sq_tail - sq_head: dotted when the call began, solid after it)</h3><div id="chart-sq"></div></div>
  <div class="card"><h3>CQ occupancy (cq_tail - cq_head after each call)</h3><div id="chart-cq"></div></div>
  <div class="card"><h3>Requests in flight</h3><div id="chart-inflight"></div></div>
  <div class="card"><h3>memlock: locked_vm bytes (dashed: RLIMIT_MEMLOCK)</h3><div id="chart-memlock"></div></div>
</div>

<h2>Step through the ring pointers</h2>
<div id="controls">
  <button id="btn-first">&laquo; first</button>
  <button id="btn-prev">&#x25C0; prev</button>
  <input type="range" id="step-slider" min="0" max="0" value="0">
  <button id="btn-next">next &#x25B6;</button>
  <button id="btn-last">last &raquo;</button>
  <span id="step-label" class="mono"></span>
</div>
<div id="step-call" class="mono" style="margin:.5em 0"></div>
<div id="step-rings"></div>
<div class="grid">
  <div class="card"><h3>SQEs consumed in this step</h3><div id="step-sqes"></div></div>
  <div class="card"><h3>CQEs the kernel posted in this step (into the CQ, or its overflow list when full)</h3><div id="step-cqes"></div></div>
</div>

<h2>Registered buffer table (at the selected step)</h2>
<div id="buffers"></div>

<h2>Errors, each with the simulator's reason</h2>
<div id="errors"></div>

<h2>Divergences from the trace's expectations</h2>
<div id="divergences"></div>

<h2>All steps and CQEs</h2>
<div id="all-steps"></div>

<div id="self-check" data-ok="false">self-check did not run (JavaScript disabled?)</div>

<script>
"use strict";
const data = JSON.parse(document.getElementById("trace-data").textContent);
const steps = data.steps;
const COLORS = ["#2f6fdf", "#e0731b", "#2e9e4f", "#a23fb8", "#c9302c", "#6b7a8f"];

function esc(s) {
  return String(s === null || s === undefined ? "" : s)
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
function hex(n) { return "0x" + Number(n).toString(16); }
function u32diff(a, b) { return ((a - b) >>> 0); }
function ringIds() {
  const ids = new Set();
  for (const s of steps) for (const k of Object.keys(s.after)) ids.add(k);
  return Array.from(ids).sort((a, b) => a - b);
}
function ringName(id, st) { return "ring " + id + (st && st.fd !== null ? " (fd " + st.fd + ")" : ""); }
function bytes(n) {
  if (n === null || n === undefined) return "unlimited";
  if (n >= 1 << 30 && n % (1 << 30) === 0) return (n / (1 << 30)) + " GiB";
  if (n >= 1 << 20 && n % (1 << 20) === 0) return (n / (1 << 20)) + " MiB";
  if (n >= 1024 && n % 1024 === 0) return (n / 1024) + " KiB";
  return n + " B";
}
function callText(s) {
  let a = "#" + s.seq + " " + s.call;
  const args = [];
  if (s.fd !== null && s.call !== "setup") args.push("fd=" + s.fd);
  for (const [k, v] of Object.entries(s.args)) args.push(k + "=" + v);
  a += "(" + args.join(", ") + ") = " + s.ret + (s.errno ? " (" + s.errno + ")" : "");
  return a + "   [model " + modelTime(s.model_ns) + "]" + (s.line ? " [trace line " + s.line + "]" : "");
}
function modelTime(ns) {
  if (ns >= 1e6) return (ns / 1e6).toFixed(3) + " ms";
  if (ns >= 1e3) return (ns / 1e3).toFixed(3) + " us";
  return ns + " ns";
}

// A step chart: one polyline per series; values[i] at step i. `limit`: dashed line.
function chart(series, limit) {
  const W = 500, H = 170, L = 64, R = 10, T = 10, B = 26;
  const n = Math.max(1, steps.length);
  let max = 1;
  for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
  if (limit !== null && limit !== undefined && limit > max) max = limit;
  const x = i => L + (n === 1 ? (W - L - R) / 2 : i * (W - L - R) / (n - 1));
  const y = v => T + (H - T - B) * (1 - v / max);
  let svg = '<svg width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + ' ' + H + '" role="img">';
  svg += '<rect x="' + L + '" y="' + T + '" width="' + (W - L - R) + '" height="' + (H - T - B) + '" fill="#f7f8fb" stroke="#c9ced8"/>';
  svg += '<text x="' + (L - 4) + '" y="' + (T + 10) + '" font-size="10" text-anchor="end">' + esc(fmtTick(max)) + '</text>';
  svg += '<text x="' + (L - 4) + '" y="' + (H - B) + '" font-size="10" text-anchor="end">0</text>';
  for (let i = 0; i < n; i++) {
    if (n <= 40 || i % Math.ceil(n / 20) === 0)
      svg += '<text x="' + x(i) + '" y="' + (H - 10) + '" font-size="9" text-anchor="middle">' + i + '</text>';
  }
  if (limit !== null && limit !== undefined)
    svg += '<line x1="' + L + '" x2="' + (W - R) + '" y1="' + y(limit) + '" y2="' + y(limit) + '" stroke="#c9302c" stroke-dasharray="5,4"/>';
  series.forEach((s, k) => {
    const c = COLORS[k % COLORS.length];
    let pts = [];
    s.values.forEach((v, i) => { if (v !== null) pts.push(x(i) + "," + y(v)); });
    if (pts.length > 1) svg += '<polyline fill="none" stroke="' + c + '" stroke-width="2"' + (s.dashed ? ' stroke-dasharray="3,3"' : '') + ' points="' + pts.join(" ") + '"/>';
    s.values.forEach((v, i) => { if (v !== null) svg += '<circle class="pt" cx="' + x(i) + '" cy="' + y(v) + '" r="3" fill="' + c + '"><title>step ' + i + ': ' + v + '</title></circle>'; });
  });
  svg += '<line id="cursor" class="cursor" x1="0" x2="0" y1="' + T + '" y2="' + (H - B) + '" stroke="#888" stroke-width="1"/>';
  svg += '</svg>';
  let legend = '<div class="legend">';
  series.forEach((s, k) => { legend += '<span><i class="sw" style="background:' + COLORS[k % COLORS.length] + '"></i>' + esc(s.name) + '</span>'; });
  return svg + legend + '</div>';
}
function fmtTick(v) { return v >= 4096 ? bytes(v) : String(v); }

function perRing(f, when) {
  when = when || "after";
  return ringIds().map(id => ({ name: ringName(id, lastState(id)) + (when === "before" ? " when the call began" : ""), dashed: when === "before",
                               values: steps.map(s => s[when][id] ? f(s[when][id]) : null) }));
}
function lastState(id) { for (let i = steps.length - 1; i >= 0; i--) if (steps[i].after[id]) return steps[i].after[id]; return null; }

function drawCharts() {
  document.getElementById("chart-sq").innerHTML = chart(perRing(st => u32diff(st.sq_tail, st.sq_head), "before").concat(perRing(st => u32diff(st.sq_tail, st.sq_head))));
  document.getElementById("chart-cq").innerHTML = chart(perRing(st => u32diff(st.cq_tail, st.cq_head)));
  document.getElementById("chart-inflight").innerHTML = chart(perRing(st => st.inflight));
  document.getElementById("chart-memlock").innerHTML = chart([
    { name: "locked_vm (uid " + data.caller.uid + ")", values: steps.map(s => s.memlock.locked_bytes) },
    { name: "pinned_vm", values: steps.map(s => s.memlock.pinned_bytes) }], data.caller.memlock_limit);
}

// One ring (SQ or CQ) as `entries` slots with head and tail marked; slots between head
// and tail are filled. Rings with more than 64 entries are drawn scaled.
function ringSvg(label, entries, head, tail, headB, tailB) {
  const cells = Math.min(entries, 64), cw = Math.max(10, Math.floor(640 / cells)), W = cells * cw + 140, H = 62;
  const used = u32diff(tail, head);
  let svg = '<svg width="' + W + '" height="' + H + '" role="img">';
  svg += '<text x="0" y="30" font-size="12" font-weight="600">' + esc(label) + '</text>';
  for (let i = 0; i < cells; i++) {
    const lo = Math.floor(i * entries / cells);
    let full = false;
    for (let k = 0; k < used && k < entries; k++) if (((head + k) & (entries - 1)) === lo) { full = true; break; }
    svg += '<rect class="slot" x="' + (140 + i * cw) + '" y="18" width="' + (cw - 1) + '" height="18" fill="' + (full ? "#9cc0f5" : "#eef1f6") + '" stroke="#9aa3b2"/>';
  }
  const pos = v => 140 + Math.floor(((v & (entries - 1)) * cells) / entries) * cw + cw / 2;
  svg += '<text x="' + pos(head) + '" y="14" font-size="10" text-anchor="middle" fill="#2e9e4f">head ' + head + '</text>';
  svg += '<text x="' + pos(tail) + '" y="50" font-size="10" text-anchor="middle" fill="#c9302c">tail ' + tail + '</text>';
  svg += '<text x="0" y="50" font-size="10" fill="#555">was head ' + headB + ', tail ' + tailB + '</text>';
  return svg + '</svg>';
}

function drawStep(i) {
  const s = steps[i];
  document.getElementById("step-slider").value = i;
  document.getElementById("step-label").textContent = "step " + i + " of " + (steps.length - 1);
  document.getElementById("step-call").textContent = callText(s) + (s.reason ? "  -- " + s.reason : "");
  let html = "";
  for (const id of Object.keys(s.after)) {
    const a = s.after[id], b = s.before[id] || { sq_head: 0, sq_tail: 0, cq_head: 0, cq_tail: 0 };
    html += '<div class="card" style="margin-bottom:.5em"><b>' + esc(ringName(id, a)) + '</b> sq_entries ' + a.sq_entries +
      ', cq_entries ' + a.cq_entries + ', dropped ' + a.dropped + ', cq_overflow ' + a.cq_overflow +
      (a.overflow_backlog ? ' (' + a.overflow_backlog + ' CQEs waiting in the overflow list)' : '') +
      ', in flight ' + a.inflight + ', sq_flags ' + hex(a.sq_flags) + '<br>' +
      ringSvg("SQ", a.sq_entries, a.sq_head, a.sq_tail, b.sq_head, b.sq_tail) + '<br>' +
      ringSvg("CQ", a.cq_entries, a.cq_head, a.cq_tail, b.cq_head, b.cq_tail) + '</div>';
  }
  if (!html) html = '<div class="note">no ring exists after this step</div>';
  document.getElementById("step-rings").innerHTML = html;
  let t = '<table><tr><th>ring</th><th>slot</th><th>opcode</th><th>user_data</th><th>flags</th></tr>';
  for (const q of s.sqes) t += '<tr><td>' + q.ring + '</td><td>' + q.slot + '</td><td class="mono">' + esc(q.op) + '</td><td>' + q.user_data + '</td><td>' + hex(q.flags) + '</td></tr>';
  for (const d of s.dropped) t += '<tr class="err"><td></td><td>' + d + '</td><td colspan="3">dropped: SQ array index ' + d + ' &gt;= sq_entries</td></tr>';
  document.getElementById("step-sqes").innerHTML = (s.sqes.length || s.dropped.length) ? t + '</table>' : '<div class="note">none</div>';
  document.getElementById("step-cqes").innerHTML = s.cqes.length ? cqeTable(s.cqes, false) : '<div class="note">none</div>';
  drawBuffers(s);
  for (const c of document.querySelectorAll("line.cursor")) {
    const svg = c.ownerSVGElement, pts = svg.querySelectorAll("circle.pt");
    const W = 500, L = 64, R = 10, n = Math.max(1, steps.length);
    const x = L + (n === 1 ? (W - L - R) / 2 : i * (W - L - R) / (n - 1));
    c.setAttribute("x1", x); c.setAttribute("x2", x);
  }
  for (const r of document.querySelectorAll("#all-steps tr[data-step]")) r.classList.toggle("cur", Number(r.dataset.step) === i);
}

function cqeTable(cqes, cls) {
  let t = '<table><tr><th>ring</th><th>user_data</th><th>res</th><th>flags</th><th>reason</th></tr>';
  for (const q of cqes) {
    t += '<tr' + (cls ? ' class="cqe-row' + (q.res < 0 ? ' err' : '') + '"' : (q.res < 0 ? ' class="err"' : '')) + '><td>' + q.ring + '</td><td>' + q.user_data + '</td><td>' + q.res +
      (q.errno ? ' (' + q.errno + ')' : '') + '</td><td>' + hex(q.flags) + '</td><td>' + esc(q.reason) + '</td></tr>';
  }
  return t + '</table>';
}

function drawBuffers(s) {
  let t = '<table><tr><th>ring</th><th>index</th><th>addr</th><th>region+offset</th><th>len</th><th>acct_pages (locked_vm)</th><th>folio size</th><th>tag</th></tr>';
  let rows = 0;
  for (const [id, st] of Object.entries(s.after)) {
    for (const b of st.buffers) {
      rows++;
      t += '<tr><td>' + esc(ringName(id, st)) + '</td><td>' + b.index + '</td><td class="mono">' + hex(b.addr) + '</td><td class="mono">' +
        (b.region !== null ? esc(b.region) + '+' + b.offset : '(outside declared regions)') + '</td><td>' + b.len + ' (' + bytes(b.len) + ')</td><td>' +
        b.acct_pages + '</td><td>' + bytes(b.folio_size) + '</td><td>' + b.tag + '</td></tr>';
    }
  }
  document.getElementById("buffers").innerHTML = rows ? t + '</table>' : '<div class="note">no registered buffers after step ' + s.seq + '</div>';
}

function drawStatic() {
  const tr = data.trace;
  document.getElementById("title").textContent = "uringsim report: " + tr.file + " (Linux " + tr.profile + " profile)";
  document.getElementById("summary").innerHTML = esc(tr.note) + '<br><b>' + data.summary.steps + '</b> syscalls, <b>' + data.summary.sqes +
    '</b> SQEs, <b>' + data.summary.cqes + '</b> CQEs, <b>' + data.summary.errors + '</b> errors; caller uid ' + data.caller.uid +
    (data.caller.cap_ipc_lock ? ' with' : ' without') + ' CAP_IPC_LOCK, RLIMIT_MEMLOCK ' + bytes(data.caller.memlock_limit) + '; regions: ' +
    data.regions.map(r => esc(r.id) + ' (' + esc(r.kind) + ', ' + bytes(r.size) + ')').join(', ');
  let e = '<table id="error-table"><tr><th>step</th><th>trace line</th><th>what</th><th>res</th><th>reason</th></tr>';
  for (const x of data.errors) {
    e += '<tr class="err error-row"><td>' + x.step + '</td><td>' + x.line + '</td><td>' + esc(x.call) + (x.kind === "cqe" ? ' CQE user_data ' + x.user_data : ' call') +
      '</td><td class="mono">' + x.res + (x.errno ? ' (' + esc(x.errno) + ')' : '') + '</td><td>' + esc(x.reason) + '</td></tr>';
  }
  document.getElementById("errors").innerHTML = data.errors.length ? e + '</table>' : '<div class="note">no errors</div>';
  document.getElementById("divergences").innerHTML = data.divergences.length
    ? '<ul>' + data.divergences.map(d => '<li class="bad">' + esc(d.message) + '</li>').join("") + '</ul>'
    : '<div class="ok">none: the simulator agrees with every recorded return and CQE</div>';
  let a = '<table><tr><th>step</th><th>call</th><th>CQEs</th></tr>';
  for (const s of steps) a += '<tr data-step="' + s.seq + '"' + (s.ret < 0 ? ' class="err"' : '') + '><td>' + s.seq + '</td><td class="mono">' + esc(callText(s)) + '</td><td>' + (s.cqes.length ? cqeTable(s.cqes, true) : '') + '</td></tr>';
  document.getElementById("all-steps").innerHTML = a + '</table>';
}

function selfCheck() {
  const problems = [];
  let cqes = 0;
  for (const s of steps) cqes += s.cqes.length;
  const shown = document.querySelectorAll("#all-steps tr.cqe-row").length;
  if (shown !== cqes) problems.push("CQE rows shown " + shown + " != CQEs in data " + cqes);
  if (cqes !== data.summary.cqes) problems.push("CQEs in steps " + cqes + " != summary " + data.summary.cqes);
  const errs = document.querySelectorAll("#errors tr.error-row").length;
  if (errs !== data.errors.length) problems.push("error rows shown " + errs + " != errors in data " + data.errors.length);
  let neg = 0;
  for (const s of steps) { if (s.ret < 0) neg++; for (const q of s.cqes) if (q.res < 0) neg++; }
  if (neg !== data.errors.length) problems.push("failed calls + failed CQEs " + neg + " != errors " + data.errors.length);
  for (const e of data.errors) if (!e.reason) problems.push("error at step " + e.step + " has no reason");
  steps.forEach((s, i) => {
    if (s.seq !== i) problems.push("step " + i + " has seq " + s.seq);
    for (const [id, st] of Object.entries(s.after)) {
      if (u32diff(st.sq_tail, st.sq_head) > st.sq_entries) problems.push("step " + i + " ring " + id + ": sq_head " + st.sq_head + " > sq_tail " + st.sq_tail);
      if (u32diff(st.cq_tail, st.cq_head) > st.cq_entries) problems.push("step " + i + " ring " + id + ": cq_head " + st.cq_head + " > cq_tail " + st.cq_tail);
    }
  });
  const slider = document.getElementById("step-slider");
  if (steps.length && Number(slider.max) !== steps.length - 1) problems.push("slider covers " + (Number(slider.max) + 1) + " steps of " + steps.length);
  const charts = document.querySelectorAll("#chart-sq svg, #chart-cq svg, #chart-inflight svg, #chart-memlock svg").length;
  if (charts !== 4) problems.push("charts drawn: " + charts + " of 4");
  const el = document.getElementById("self-check");
  el.dataset.ok = problems.length ? "false" : "true";
  el.innerHTML = problems.length
    ? '<span class="bad">self-check failed:</span><ul>' + problems.map(p => '<li>' + esc(p) + '</li>').join("") + '</ul>'
    : '<span class="ok">self-check passed</span>: ' + cqes + ' CQEs and ' + data.errors.length + ' errors shown as in the data; head &lt;= tail at all ' + steps.length + ' steps';
}

let current = 0;
function go(i) { if (!steps.length) return; current = Math.max(0, Math.min(steps.length - 1, i)); drawStep(current); }
try {
  drawStatic();
  drawCharts();
  const slider = document.getElementById("step-slider");
  slider.max = Math.max(0, steps.length - 1);
  slider.addEventListener("input", () => go(Number(slider.value)));
  document.getElementById("btn-first").onclick = () => go(0);
  document.getElementById("btn-prev").onclick = () => go(current - 1);
  document.getElementById("btn-next").onclick = () => go(current + 1);
  document.getElementById("btn-last").onclick = () => go(steps.length - 1);
  document.addEventListener("keydown", ev => { if (ev.key === "ArrowRight") go(current + 1); if (ev.key === "ArrowLeft") go(current - 1); });
  go(0);
  selfCheck();
} catch (err) {
  const el = document.getElementById("self-check");
  el.dataset.ok = "false";
  el.textContent = "self-check failed: the page's script threw: " + err;
}
</script>
</body>
</html>
)HTML";

}  // namespace

}  // namespace uringsim::traces
