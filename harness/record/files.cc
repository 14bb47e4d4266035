#include "harness/record/files.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "harness/record/csv_writer.h"
#include "harness/record/record.h"
#include "harness/record/sha256.h"

namespace copyscope::record {
namespace {

std::string Json(const google::protobuf::Message& m, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.preserve_proto_field_names = true;
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(m, &out, options);
  if (!status.ok()) return "{}";
  return out;
}

RecordTrailer TrailerOf(const Run& run, const std::string& state,
                        const std::string& body) {
  RecordTrailer t;
  t.set_state(state);
  t.set_cells(static_cast<uint32_t>(run.cells_size()));
  t.set_sha256(Sha256Hex(body));
  return t;
}

// The run without its end markers.
Run Body(const Run& run) {
  Run body = run;
  body.clear_end();
  body.clear_trailer();
  return body;
}

// The bytes that end run.pb: a Run holding only `end`.
std::string EndBytes(const RecordTrailer& t) {
  Run end;
  *end.mutable_end() = t;
  return end.SerializeAsString();
}

absl::StatusOr<std::string> ReadAll(const std::string& file) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return absl::NotFoundError(
        absl::StrCat(file, ": ", std::strerror(errno),
                     "; give a directory written by `copyscope run`"));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat(
        file,
        ": not a regular file; give a directory written by `copyscope "
        "run`"));
  }
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return absl::DataLossError(
          absl::StrCat(file, ": cannot be read: ", std::strerror(err)));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

absl::Status Damaged(const std::string& file, const std::string& what) {
  return absl::DataLossError(absl::StrCat(
      file, ": damaged record: ", what,
      "; run.jsonl and summary.csv beside it may still be readable"));
}

}  // namespace

std::string RunPbBytes(const Run& run, const std::string& state) {
  std::string body = Body(run).SerializeAsString();
  if (state.empty()) return body;
  return body + EndBytes(TrailerOf(run, state, body));
}

std::string RunJsonLines(const Run& run, const std::string& state) {
  Run header = Body(run);
  header.clear_cells();
  std::string out = absl::StrCat(Json(header, false), "\n");
  for (const Cell& c : run.cells()) absl::StrAppend(&out, Json(c, false), "\n");
  if (!state.empty()) {
    absl::StrAppend(
        &out, "{\"trailer\":", Json(TrailerOf(run, state, out), false), "}\n");
  }
  return out;
}

absl::StatusOr<uint64_t> WriteRunFiles(OutputDir& dir, const Run& run,
                                       const std::string& state) {
  const std::string pb = RunPbBytes(run, state);
  const std::string jsonl = RunJsonLines(run, state);
  const std::string csv = SummaryCsv(run);
  absl::Status s = dir.Write("run.pb", pb);
  if (s.ok()) s = dir.Write("run.jsonl", jsonl);
  if (s.ok()) s = dir.Write("summary.csv", csv);
  if (!s.ok()) return s;
  return uint64_t{pb.size() + jsonl.size() + csv.size()};
}

absl::StatusOr<RunFile> ReadRunFile(const std::string& path) {
  std::string file = path;
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    file = absl::StrCat(path, "/run.pb");
  }
  absl::StatusOr<std::string> bytes = ReadAll(file);
  if (!bytes.ok()) return bytes.status();
  RunFile out;
  if (!out.run.ParseFromString(*bytes)) {
    return Damaged(file, "not a copyscope run record, or cut short");
  }
  if (out.run.has_end()) {
    const RecordTrailer end = out.run.end();
    const std::string tail = EndBytes(end);
    if (!absl::EndsWith(*bytes, tail)) {
      return Damaged(file, "its trailer is not at its end");
    }
    const absl::string_view body(bytes->data(), bytes->size() - tail.size());
    if (Sha256Hex(body) != end.sha256()) {
      return Damaged(file,
                     "checksum mismatch (the file changed after the run "
                     "wrote it)");
    }
    if (end.cells() != static_cast<uint32_t>(out.run.cells_size())) {
      return Damaged(file, absl::StrCat("the trailer counts ", end.cells(),
                                        " cells, the record holds ",
                                        out.run.cells_size()));
    }
    out.state = end.state();
  } else if (out.run.trailer() == kRecordTrailer) {
    out.state = "complete";  // an older writer's end marker
  } else {
    out.state = kIncomplete;
  }
  out.run.clear_end();
  out.run.clear_trailer();
  return out;
}

std::string CompletenessNote(const RunFile& file) {
  if (file.state == "complete") return "";
  const std::string cells = absl::StrCat(file.run.cells_size(), " of ",
                                         file.run.cells_planned(), " cells");
  if (file.state == kIncomplete) {
    return absl::StrCat(
        "record: incomplete (no trailer: the run was killed or is still "
        "going); ",
        cells);
  }
  return absl::StrCat("record: ", file.state, "; ", cells);
}

std::string SummaryJson(const Run& run) {
  Run summary = Body(run);
  for (Cell& c : *summary.mutable_cells()) c.clear_samples();
  return absl::StrCat(Json(summary, true), "\n");
}

}  // namespace copyscope::record
