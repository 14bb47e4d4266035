// Test support: the in-tree plugins a test carries in its runfiles
// (data = IN_TREE_TRANSPORTS), loaded once per test suite, and cell specs
// over them. For tests that run real cells; never linked into copyscope.
//
//   class MyTest : public InTreePluginsTest {};
//   TEST_F(MyTest, Works) {
//     for (const plugins::Plugin* p : Usable()) {
//       CellResult r = RunCell(Spec(*p, 4096, 1), config, net, nullptr);
//     }
//   }
//
//   // or, in a plain TEST:
//   plugins::PluginSet set;
//   const plugins::Plugin* p = FirstUsablePlugin(&set);
//   ASSERT_NE(p, nullptr);
#ifndef COPYSCOPE_HARNESS_ENGINE_IN_TREE_PLUGINS_TESTING_H_
#define COPYSCOPE_HARNESS_ENGINE_IN_TREE_PLUGINS_TESTING_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/engine/runner.h"
#include "harness/record/metrics.h"
#include "harness/record/record.h"
#include "plugins/loader.h"

namespace copyscope::engine {

// Loads every in-tree plugin of the runfiles into *set. Returns "" or why
// it could not.
inline std::string LoadInTreePlugins(plugins::PluginSet* set) {
  std::string dir = plugins::DefaultPluginDirectory();
  if (dir.empty()) return "no runfiles with in-tree plugins";
  std::string error;
  if (!set->LoadDirectory(dir, &error)) return error;
  return "";
}

// The plugins of set that can run here (status ok), in load order.
inline std::vector<const plugins::Plugin*> UsablePlugins(
    const plugins::PluginSet& set) {
  std::vector<const plugins::Plugin*> out;
  for (const plugins::Plugin& p : set.plugins()) {
    if (p.status == plugins::PluginStatus::kOk) out.push_back(&p);
  }
  return out;
}

// Loads the in-tree plugins into *set and returns the first usable one, or
// nullptr (with a test failure saying why).
inline const plugins::Plugin* FirstUsablePlugin(plugins::PluginSet* set) {
  std::string error = LoadInTreePlugins(set);
  if (!error.empty()) {
    ADD_FAILURE() << error;
    return nullptr;
  }
  std::vector<const plugins::Plugin*> usable = UsablePlugins(*set);
  if (usable.empty()) {
    ADD_FAILURE() << "no usable in-tree plugin";
    return nullptr;
  }
  return usable.front();
}

// A short sample: 50 ms of warm-up, then `duration` measured.
inline RunnerConfig ShortConfig(
    absl::Duration duration = absl::Milliseconds(200)) {
  RunnerConfig c;
  c.warmup = absl::Milliseconds(50);
  c.duration = duration;
  return c;
}

// A stream cell of plugin p.
inline config::CellSpec SpecFor(const plugins::Plugin& p, uint64_t size,
                                int threads, uint32_t fields = 8) {
  config::CellSpec s;
  s.transport = p.name;
  s.size = size;
  s.fields = fields;
  s.threads = threads;
  return s;
}

// The plugins of a cell of p (and of a receive plugin, if any).
inline CellPlugins PluginsOf(const plugins::Plugin& p,
                             const plugins::Plugin* receiver = nullptr) {
  return {p.transport, receiver != nullptr ? receiver->transport : nullptr};
}

// A cell of p run once, with the figures of its sample derived.
inline CellResult RunAndDerive(const config::CellSpec& spec,
                               const CellPlugins& plugins,
                               const RunnerConfig& config, Network& network,
                               ThreadHooks* hooks = nullptr) {
  CellResult r = RunCell(spec, plugins, config, network, hooks);
  record::DeriveMetrics(record::KeyOf(spec), &r.sample);
  return r;
}

// A metric of a result derived by RunAndDerive, if it has one.
inline std::optional<double> MetricOf(const CellResult& r,
                                      const std::string& name) {
  const record::Metric* m = record::FindSampleMetric(r.sample, name);
  return m != nullptr ? std::optional<double>(m->value()) : std::nullopt;
}

// A fixture whose suite loads the in-tree plugins once.
class InTreePluginsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    set_ = new plugins::PluginSet;
    std::string error = LoadInTreePlugins(set_);
    ASSERT_EQ(error, "");
  }
  static void TearDownTestSuite() {
    delete set_;
    set_ = nullptr;
  }

  // Every stream plugin (TCP) that can run here; the test fails if there is
  // none. The datagram transports (CS_CAP_DATAGRAM: UDP, no end of stream,
  // no count mode) are Datagram()'s.
  static std::vector<const plugins::Plugin*> Usable() {
    std::vector<const plugins::Plugin*> out;
    for (const plugins::Plugin* p : UsablePlugins(*set_)) {
      if ((p->transport->capabilities & CS_CAP_DATAGRAM) == 0) out.push_back(p);
    }
    EXPECT_FALSE(out.empty()) << "no usable in-tree plugin";
    return out;
  }
  // Every datagram plugin that can run here.
  static std::vector<const plugins::Plugin*> Datagram() {
    std::vector<const plugins::Plugin*> out;
    for (const plugins::Plugin* p : UsablePlugins(*set_)) {
      if ((p->transport->capabilities & CS_CAP_DATAGRAM) != 0) out.push_back(p);
    }
    return out;
  }

  static const plugins::PluginSet& plugin_set() { return *set_; }

 private:
  static inline plugins::PluginSet* set_ = nullptr;
};

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_IN_TREE_PLUGINS_TESTING_H_
