// Package loadgen writes realistic events into activity.event_outbox the way
// the application would: one transaction per event, aggregate versions 1, 2,
// 3, ... per aggregate, payloads that pass events.Decode.
//
// It has two halves. The World decides what happens (which users and
// activities exist, who joins what) from a seeded random source, without a
// database, so it is deterministic and unit-testable. The Loader writes the
// World's events with several workers and keeps two ordering promises that
// concurrent writers would otherwise break:
//
//   - the events of one aggregate commit in version order: each aggregate is
//     sharded onto one worker, and a worker writes its events first in,
//     first out;
//   - an event that references another aggregate (the creator of an
//     activity, a joining user) commits only after that aggregate's creation
//     has committed, and a UserDeleted commits only after every event that
//     referenced the user: the World lists these dependencies with each
//     event and a worker waits for them before it begins its transaction.
//
// Dependencies always point at events generated earlier, so the oldest event
// not yet written can always be written and the workers never deadlock.
package loadgen
