#include "harness/record/record_io.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "harness/record/csv_writer.h"
#include "harness/record/output_dir.h"
#include "harness/record/record.h"

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

}  // namespace

std::string RunJsonLines(const record::Run& run) {
  record::Run header = run;
  header.clear_cells();
  std::string out = absl::StrCat(Json(header, false), "\n");
  for (const record::Cell& c : run.cells()) {
    absl::StrAppend(&out, Json(c, false), "\n");
  }
  return out;
}

absl::Status WriteRunFiles(const std::string& dir, const record::Run& run) {
  record::Run complete = run;
  complete.set_trailer(kRecordTrailer);
  std::string pb;
  if (!complete.SerializeToString(&pb)) {
    return absl::InternalError("cannot serialize the run record");
  }
  absl::Status s = WriteFileAtomically(absl::StrCat(dir, "/run.pb"), pb);
  if (s.ok()) {
    s = WriteFileAtomically(absl::StrCat(dir, "/run.jsonl"),
                            RunJsonLines(complete));
  }
  if (s.ok()) {
    s = WriteFileAtomically(absl::StrCat(dir, "/summary.csv"),
                            SummaryCsv(complete));
  }
  return s;
}

absl::StatusOr<record::Run> ReadRunFile(const std::string& path) {
  struct stat st;
  std::string file = path;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    file = absl::StrCat(path, "/run.pb");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        file, ": cannot be read; give a directory written by `copyscope run`"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  record::Run run;
  if (!run.ParseFromString(ss.str())) {
    return absl::DataLossError(absl::StrCat(
        file,
        ": not a copyscope run record (corrupt or truncated); "
        "run.jsonl and summary.csv beside it may still be readable"));
  }
  if (run.trailer() != kRecordTrailer) {
    return absl::DataLossError(absl::StrCat(
        file,
        ": the record is cut short (its end marker is missing); "
        "run.jsonl and summary.csv beside it may still be readable"));
  }
  return run;
}

std::string SummaryJson(const record::Run& run) {
  record::Run summary = run;
  for (record::Cell& c : *summary.mutable_cells()) c.clear_samples();
  return absl::StrCat(Json(summary, true), "\n");
}

}  // namespace copyscope::record
