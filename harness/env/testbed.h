// A run's provenance as its record keeps it: the machine facts
// (provenance.h) in record::Host beside host_info.h's, the build facts
// (build_info.h, build_facts.h) and the binary's SHA-256 in record::Build,
// and the testbed fingerprint of a record.
//
//   record::Host host = CollectHostProvenance("lo");  // host_info + machine
//   record::Build build = CollectBuild();              // --version --json
//   run.mutable_host()->set_testbed_fingerprint(ComputeTestbedFingerprint(run));
//   std::string fp = TestbedFingerprintOf(old_run);    // stored, or computed
//
// The fingerprint is computed from the record alone (its host facts and its
// isolation), so a record read back, imported into the history years later,
// gives the fingerprint it was written with. The path the data took is part
// of the testbed: loopback and a veth pair between namespaces are two
// testbeds of one machine, and so are two MTUs, link speeds or offload
// settings. A run on two hosts (--peer) is a testbed of both: the peer's
// facts, as its agent described them, and the side it ran are hashed too. A
// record written before the machine facts were recorded (schema 4 and older)
// has no fingerprint: one is computed from the facts it has, the others
// "unknown", so it matches only records like it.
#ifndef COPYSCOPE_HARNESS_ENV_TESTBED_H_
#define COPYSCOPE_HARNESS_ENV_TESTBED_H_

#include <optional>
#include <string>

#include "harness/env/provenance.h"
#include "harness/record/record.pb.h"

namespace copyscope::env {

// Copies the machine facts into the host's schema 5 fields.
void AddMachineFacts(const MachineFacts& machine, record::Host* host);

// CollectHost (host_info.h) with the machine facts read under root.
record::Host CollectHostProvenance(const std::string& interface,
                                   std::optional<int> mtu = std::nullopt,
                                   const std::string& root = "/");

// The build of this binary: build_info.h, build_facts.h and the SHA-256 of
// `binary` ("unreadable: <why>" when it cannot be read).
record::Build CollectBuild(const std::string& binary = "/proc/self/exe");

// The testbed facts a record holds (see the file comment).
TestbedFacts TestbedFactsOfRecord(const record::Run& run);

// TestbedFingerprint of TestbedFactsOfRecord.
std::string ComputeTestbedFingerprint(const record::Run& run);

// The record's own fingerprint, else the one computed from its facts.
std::string TestbedFingerprintOf(const record::Run& run);

}  // namespace copyscope::env

#endif  // COPYSCOPE_HARNESS_ENV_TESTBED_H_
