// Payload verification (--verify): the bytes of every message are a pattern
// of (connection, direction, message sequence number, byte offset), so a
// receiver can check each byte it gets without knowing anything the sender
// did, and a corrupted, lost, duplicated, reordered or reflected message is
// caught at its first wrong byte.
//
//   uint64_t key = payload::Key(/*connection=*/2, payload::kServerToClient,
//                               /*sequence=*/17);
//   payload::FillFields(key, message.fields, message.field_count);  // sender
//   uint64_t bad = payload::CheckFields(key, segments, count);      // receiver
//   if (bad != payload::kIntact) return payload::CorruptError(17, bad);
//
// The pattern is 8-byte little-endian words, word i of a message being a
// bijection of (key + i * golden ratio) where key mixes (connection,
// direction, sequence): every word of a message differs from every other,
// and messages of other keys differ from the first word on. Offsets are within
// the whole message, however it is split into fields or segments. It is part of
// the protocol between a sender and a receiver, which may be different builds
// on different hosts: changing it changes what both must agree on.
#ifndef COPYSCOPE_HARNESS_ENGINE_PAYLOAD_H_
#define COPYSCOPE_HARNESS_ENGINE_PAYLOAD_H_

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace copyscope::engine::payload {

// The two directions of a connection; a request and its response (or the
// two streams of a connection) never carry the same pattern, so a reflected
// request cannot pass for a response.
inline constexpr uint32_t kClientToServer = 0;
inline constexpr uint32_t kServerToClient = 1;

// The pattern's key of message `sequence` (0-based, on this connection in
// this direction) of `connection` going `stream`.
uint64_t Key(uint64_t connection, uint32_t stream, uint64_t sequence);

// Writes bytes [offset, offset + len) of the message of `key` to data.
void Fill(uint64_t key, uint64_t offset, void* data, size_t len);

// The index in data of the first of its len bytes that differs from bytes
// [offset, offset + len) of the message of `key`; len when none does.
size_t Check(uint64_t key, uint64_t offset, const void* data, size_t len);

// What CheckFields returns for a message whose bytes are all right.
inline constexpr uint64_t kIntact = UINT64_MAX;

// The message of `key` laid out over `count` fields, in order, from
// offset 0 (fields may have any length, including 0).
void FillFields(uint64_t key, const struct iovec* fields, size_t count);

// The offset within the message of the first wrong byte of `count`
// segments holding it in order, or kIntact.
uint64_t CheckFields(uint64_t key, const struct iovec* segments, size_t count);

// A DATA_LOSS status whose message is "corrupt: message N offset M"; the
// same text rides as a payload, so it survives a caller re-wrapping the
// message (copy the payloads along, see CorruptText).
absl::Status CorruptError(uint64_t message, uint64_t offset);

// "corrupt: message N offset M" when s (or a status it was re-wrapped
// into, payloads copied) came from CorruptError.
std::optional<std::string> CorruptText(const absl::Status& s);

}  // namespace copyscope::engine::payload

#endif  // COPYSCOPE_HARNESS_ENGINE_PAYLOAD_H_
