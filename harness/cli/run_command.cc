// `copyscope run`. Everything that can be refused is refused before any
// cell runs (exit 2, one line, nothing written): the flags, the plan, the
// plugins' options (each opened once with them), the memory the largest
// cell needs, the isolation, and the results directory, which is then
// claimed and locked for the run. While the sweep goes on the record is
// rewritten after every sample without a trailer; the last write ends it
// "complete", "interrupted" or "stopped: <why>" (a write error, e.g. a full
// disk, stops the sweep at once and the record still ends consistently).
// A complete run is then added to the results history (history_store.h);
// a history that cannot take it is a warning, never the run's failure.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/cli/cli.h"
#include "harness/cli/commands.h"
#include "harness/cli/history_store.h"
#include "harness/cli/interrupt.h"
#include "harness/cli/perf_report.h"
#include "harness/cli/table.h"
#include "harness/config/plan.h"
#include "harness/control/agent_sides.h"
#include "harness/control/peer.h"
#include "harness/control/plugin_probe.h"
#include "harness/control/run_environment.h"
#include "harness/control/sweep.h"
#include "harness/engine/preflight.h"
#include "harness/engine/runner.h"
#include "harness/env/host_info.h"
#include "harness/record/files.h"
#include "harness/record/output_dir.h"
#include "harness/record/record.h"

namespace copyscope::cli {
namespace {

std::string GiB(uint64_t bytes) {
  return absl::StrFormat("%.1f GiB", static_cast<double>(bytes) / (1 << 30));
}

// The largest cell's messages must fit in the memory available, with room
// for everything else.
absl::Status CheckMemory(const config::RunOptions& options, uint64_t need) {
  std::optional<uint64_t> available = env::MemAvailableBytes();
  if (!available || need <= *available / 10 * 8) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "--sizes and --threads: the largest cell needs about ", GiB(need),
      " for its messages (every connection's send pool and receive buffer, "
      "--fields=",
      options.fields, "), more than 80% of the ", GiB(*available),
      " available here; use smaller --sizes or fewer --threads"));
}

engine::RunnerConfig RunnerConfigOf(const config::RunOptions& options,
                                    const std::atomic<bool>* interrupt) {
  engine::RunnerConfig runner;
  runner.warmup = options.warmup;
  runner.duration = options.duration;
  runner.io_timeout = options.io_timeout;
  // Slack for set-up and for finishing after stop: half the io timeout,
  // within 1 to 5 s.
  runner.margin =
      std::clamp(options.io_timeout / 2, absl::Seconds(1), absl::Seconds(5));
  runner.messages = options.messages;
  runner.warmup_messages = options.warmup_messages;
  runner.verify = options.verify;
  runner.interval = options.interval;
  runner.batch = options.batch;
  runner.rate_bps = options.rate_bps;
  runner.rr_timeout = options.rr_timeout;
  runner.interrupt = interrupt;
  return runner;
}

control::SweepConfig SweepConfigOf(const config::RunOptions& options) {
  control::SweepConfig config;
  config.reps = options.reps;
  config.reps_auto = options.reps_auto;
  config.rule.ci_target = options.ci_target;
  config.rule.min_reps = options.min_reps;
  config.rule.max_reps = std::max(options.max_reps, options.min_reps);
  config.time_budget = options.time_budget;
  config.max_cv = options.max_cv;
  config.warmup = options.warmup;
  config.duration = options.duration;
  config.messages = options.messages;
  config.warmup_messages = options.warmup_messages;
  return config;
}

// A run of one cell whose samples are long enough for several slices
// prints each sample's slices as it ends, like `iperf3 -i`.
bool PrintsSlices(const config::RunOptions& options, const config::Plan& plan) {
  return plan.cells.size() == 1 && options.interval > absl::ZeroDuration() &&
         (options.messages > 0 || options.duration >= absl::Seconds(1));
}

// Writes the record. While the run goes on, room for a record of the same
// size is kept aside; when that room cannot be had, or a write finds the
// disk full, the run stops (ResourceExhausted) and its last write, with the
// room given back, still fits.
absl::Status Save(record::OutputDir& dir, const record::Run& run,
                  const std::string& state) {
  if (!state.empty()) dir.ReleaseRoom();
  absl::StatusOr<uint64_t> bytes = record::WriteRunFiles(dir, run, state);
  if (!bytes.ok()) return bytes.status();
  if (state.empty() && !dir.KeepRoomFor(*bytes + (16 << 10))) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot keep room for the record in ", dir.path(),
                     ": No space left on device"));
  }
  return absl::OkStatus();
}

// "no space left on device" from "cannot write /x/run.pb: No space left on
// device".
std::string Why(const absl::Status& s) {
  std::string m(s.message());
  size_t colon = m.rfind(": ");
  std::string why = colon == std::string::npos ? m : m.substr(colon + 2);
  if (!why.empty()) why[0] = static_cast<char>(std::tolower(why[0]));
  return why;
}

// Adds a complete run to the history, or says on stderr, in one line, why
// it did not.
void AddToHistory(const config::RunOptions& options, const record::Run& run,
                  const std::string& state) {
  if (options.history.off) return;
  if (state != "complete") {
    std::fprintf(stderr,
                 "note: the run is %s: the history keeps complete runs only\n",
                 state.c_str());
    return;
  }
  absl::StatusOr<std::string> path = HistoryPath(options.history.path);
  absl::Status s = path.status();
  if (s.ok()) {
    absl::StatusOr<record::History> history = OpenHistory(*path);
    s = history.ok() ? AddRecord(&*history, run) : history.status();
  }
  if (!s.ok()) {
    std::fprintf(stderr,
                 "copyscope: warning: the run is not in the history: %s\n",
                 std::string(s.message()).c_str());
    return;
  }
  std::fprintf(options.json ? stderr : stdout, "history: %s\n", path->c_str());
}

}  // namespace

int RunCommand(const config::RunOptions& options) {
  std::vector<std::string> notes;
  absl::StatusOr<std::vector<record::PluginInfo>> discovered =
      DiscoverPlugins(options.sources, &notes);
  if (!discovered.ok()) return UsageError(discovered.status());
  const std::vector<record::PluginInfo>& plugins = *discovered;
  absl::StatusOr<config::Plan> plan = config::MakePlan(options, plugins);
  if (!plan.ok()) return UsageError(plan.status());
  absl::StatusOr<std::unique_ptr<control::RunEnvironment>> env =
      control::RunEnvironment::Prepare(options, *plan);
  if (!env.ok()) return UsageError(env.status());
  const std::string repetitions =
      control::RepetitionsPlan(*plan, SweepConfigOf(options));
  if (options.dry_run) {
    std::printf("%s\n", repetitions.c_str());
    return (*env)->DryRun(*plan);
  }
  const std::atomic<bool>& interrupted = WatchInterrupts();
  const engine::RunnerConfig runner = RunnerConfigOf(options, &interrupted);
  absl::Status s =
      control::CheckPlan(*plan, plugins, runner, ProbeOptions(), &notes);
  if (!s.ok()) return UsageError(s);
  auto caps = [&](const std::string& name) -> uint64_t {
    for (const record::PluginInfo& p : plugins) {
      if (p.name() == name) return control::CapabilityBits(p);
    }
    return 0;
  };
  s = CheckMemory(options, engine::LargestCellMemory(*plan, caps, runner));
  if (!s.ok()) return UsageError(s);
  PrintNotes(notes);
  PrintNotes(plan->notes);
  PrintNotes(options.notes);
  PrintNotes({repetitions});
  // Isolation (once for the run), pinning and counters; fills the record's
  // context. Only --isolation=netns can fail, before anything is written.
  record::RunContext run_context;
  run_context.notes = options.notes;
  // Two hosts: the peer's agent is reached (and, with --deploy, this build
  // copied there) before anything is written.
  std::unique_ptr<control::PeerRun> peer;
  if (!options.peer.empty()) {
    absl::StatusOr<std::unique_ptr<control::PeerRun>> p =
        control::PeerRun::Start(options, plugins, *plan,
                                ProbeOptions().launch.version);
    if (!p.ok()) return UsageError(p.status());
    peer = *std::move(p);
    run_context.peer = peer->facts();
    (*env)->SetLocalDataAddress(peer->controller_address());
    std::fprintf(
        stderr, "peer: %s runs the %s side at %s (%s%s)\n",
        options.peer.c_str(), config::SideName(options.peer_role),
        peer->facts().address().c_str(), peer->facts().version().c_str(),
        peer->facts().deployed_to().empty()
            ? ""
            : absl::StrCat(", deployed to ", peer->facts().deployed_to())
                  .c_str());
  }
  s = (*env)->Start(&run_context);
  if (!s.ok()) return UsageError(s);
  absl::StatusOr<std::unique_ptr<record::OutputDir>> dir =
      record::OutputDir::Claim(options.out);
  if (!dir.ok()) return UsageError(dir.status());

  record::Run run = record::MakeRunHeader(options, *plan, plugins, run_context,
                                          (*dir)->name(), absl::Now());
  control::AgentRunSettings settings = (*env)->AgentSettings(runner, plugins);
  settings.server_launch.version = settings.client_launch.version =
      ProbeOptions().launch.version;
  if (peer != nullptr) {
    // Each host's load is measured by its own agent.
    settings.server_host_load = settings.client_host_load = true;
    settings.allow_mismatch = options.allow_mismatch;
    if (options.peer_role == config::Side::kServer) {
      settings.server_factory = peer->Factory();
      settings.server_host = "peer";
      settings.server_remote = true;
      // The peer's server listens on its own data address (an IPv6 one
      // serves inet6 cells); this host's loopback is no IPv6 path to it.
      settings.server_address6.clear();
    } else {
      settings.client_factory = peer->Factory();
      settings.client_host = "peer";
      settings.client_remote = true;
      // The local server listens where the peer reaches this host (for
      // inet6 cells: there if that address is IPv6, else nowhere).
      settings.server_address = peer->controller_address();
      settings.server_address6 = absl::StrContains(settings.server_address, ':')
                                     ? settings.server_address
                                     : "";
    }
  }
  control::AgentSides sides(std::move(settings));
  control::SweepConfig config = SweepConfigOf(options);
  config.progress = isatty(STDERR_FILENO) == 1;
  config.interrupt = &interrupted;
  if (PrintsSlices(options, *plan)) {
    FILE* to = options.json ? stderr : stdout;
    config.on_sample = [&, to](const config::CellSpec& spec,
                               const record::Sample& sample) {
      if (config.progress) std::fprintf(stderr, "\r\033[K");
      std::fputs(FormatSlices(record::KeyOf(spec), sample).c_str(), to);
      std::fflush(to);
    };
  }
  s = Save(**dir, run, "");
  control::SweepOutcome outcome;
  if (s.ok()) {
    outcome = control::RunSweep(
        *plan, config, sides, &run,
        [&](const record::Run& r) { return Save(**dir, r, ""); });
    s = outcome.stopped;
  }
  run.set_finished_utc(record::Rfc3339(absl::Now()));
  run.set_interrupted(outcome.interrupted);
  const std::string state = !s.ok()               ? "stopped: " + Why(s)
                            : outcome.interrupted ? "interrupted"
                                                  : "complete";
  absl::Status saved = Save(**dir, run, state);

  if (options.json) {
    std::fputs(record::SummaryJson(run).c_str(), stdout);
  } else {
    std::fputs(FormatTable(run).c_str(), stdout);
    std::fputs(FormatRunReport(run).c_str(), stdout);
  }
  std::fflush(stdout);
  const std::string& path = (*dir)->path();
  if (!s.ok() || !saved.ok()) {
    std::fprintf(
        stderr, "copyscope: the run stopped: %s; %d of %zu cells are in %s%s\n",
        std::string((s.ok() ? saved : s).message()).c_str(), run.cells_size(),
        plan->cells.size(), path.c_str(),
        saved.ok() ? " (record ended \"stopped\")"
                   : " (the record could not be ended: incomplete)");
    return kExitFailed;
  }
  std::fprintf(options.json ? stderr : stdout,
               "results: %s/summary.csv (record: run.pb, run.jsonl)\n",
               path.c_str());
  AddToHistory(options, run, state);
  if (outcome.interrupted) {
    std::fprintf(stderr, "interrupted: %d of %zu cells kept in %s\n",
                 outcome.cells_kept, plan->cells.size(), path.c_str());
    return kExitInterrupted;
  }
  if (outcome.failed_samples > 0) {
    std::fprintf(stderr, "copyscope: %d of %d samples failed (see status)\n",
                 outcome.failed_samples, outcome.samples);
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace copyscope::cli
