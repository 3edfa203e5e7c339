#include "fuzz/minimise.h"

#include <set>
#include <vector>

namespace uringsim::fuzz {
namespace {

// A removable unit: a whole event, or one SQE of an enter event.
struct Unit {
  size_t event;
  int sqe;  // -1: the whole event
};

}  // namespace

traces::Trace without_orphan_closes(traces::Trace t) {
  std::set<int> open;
  std::vector<traces::Event> kept;
  for (traces::Event& e : t.events) {
    if (const auto* s = std::get_if<traces::SetupEvent>(&e.body)) {
      if (s->ret >= 0) open.insert(static_cast<int>(s->ret));
    } else if (const auto* c = std::get_if<traces::CloseEvent>(&e.body)) {
      if (open.erase(c->fd) == 0) continue;
    }
    kept.push_back(std::move(e));
  }
  t.events = std::move(kept);
  return t;
}

namespace {

traces::Trace without(const traces::Trace& t, const std::vector<Unit>& units, const std::vector<bool>& drop) {
  traces::Trace out = t;
  std::vector<bool> drop_event(t.events.size(), false);
  std::vector<std::vector<bool>> drop_sqe(t.events.size());
  for (size_t i = 0; i < units.size(); ++i) {
    if (!drop[i]) continue;
    if (units[i].sqe < 0) {
      drop_event[units[i].event] = true;
    } else {
      auto& v = drop_sqe[units[i].event];
      const auto& en = std::get<traces::EnterEvent>(t.events[units[i].event].body);
      if (v.empty()) v.assign(en.sqes.size(), false);
      v[static_cast<size_t>(units[i].sqe)] = true;
    }
  }
  out.events.clear();
  for (size_t e = 0; e < t.events.size(); ++e) {
    if (drop_event[e]) continue;
    traces::Event ev = t.events[e];
    if (!drop_sqe[e].empty()) {
      auto& en = std::get<traces::EnterEvent>(ev.body);
      const uint32_t before = static_cast<uint32_t>(en.sqes.size());
      std::vector<traces::SqeRecord> kept;
      for (size_t k = 0; k < en.sqes.size(); ++k) {
        if (!drop_sqe[e][k]) kept.push_back(en.sqes[k]);
      }
      en.sqes = std::move(kept);
      const uint32_t removed = before - static_cast<uint32_t>(en.sqes.size());
      en.to_submit = en.to_submit > removed ? en.to_submit - removed : 0;
      if (en.min_complete > en.to_submit) en.min_complete = en.to_submit;
    }
    out.events.push_back(std::move(ev));
  }
  return without_orphan_closes(std::move(out));
}

// ddmin over `units` (Zeller): try removing chunks, then complements, refining.
std::vector<bool> ddmin(const traces::Trace& t, const std::vector<Unit>& units,
                        const std::function<bool(const traces::Trace&)>& still_fails, int* budget) {
  std::vector<bool> drop(units.size(), false);
  std::vector<size_t> alive;
  for (size_t i = 0; i < units.size(); ++i) alive.push_back(i);
  size_t n = 2;
  while (alive.size() >= 1 && *budget > 0) {
    const size_t chunk = std::max<size_t>(1, alive.size() / n);
    bool reduced = false;
    for (size_t start = 0; start < alive.size() && *budget > 0; start += chunk) {
      std::vector<bool> trial = drop;
      for (size_t k = start; k < std::min(alive.size(), start + chunk); ++k) trial[alive[k]] = true;
      --*budget;
      if (still_fails(without(t, units, trial))) {
        drop = trial;
        std::vector<size_t> next;
        for (size_t k = 0; k < alive.size(); ++k) {
          if (k < start || k >= start + chunk) next.push_back(alive[k]);
        }
        alive = std::move(next);
        n = std::max<size_t>(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (chunk == 1) break;
      n = std::min(alive.size(), n * 2);
    }
  }
  return drop;
}

}  // namespace

traces::Trace minimise(const traces::Trace& trace, const std::function<bool(const traces::Trace&)>& still_fails,
                       int budget) {
  size_t tail = trace.events.size();
  while (tail > 0 && std::holds_alternative<traces::CloseEvent>(trace.events[tail - 1].body)) --tail;
  // Pass 1: whole events.
  std::vector<Unit> units;
  for (size_t e = 0; e < tail; ++e) units.push_back(Unit{e, -1});
  traces::Trace cur = without(trace, units, ddmin(trace, units, still_fails, &budget));
  // Pass 2: single SQEs of the enters that are left.
  units.clear();
  for (size_t e = 0; e < cur.events.size(); ++e) {
    if (const auto* en = std::get_if<traces::EnterEvent>(&cur.events[e].body)) {
      for (size_t k = 0; k < en->sqes.size(); ++k) units.push_back(Unit{e, static_cast<int>(k)});
    }
  }
  if (!units.empty() && budget > 0) cur = without(cur, units, ddmin(cur, units, still_fails, &budget));
  return without_orphan_closes(cur);
}

}  // namespace uringsim::fuzz
