// Package middleware holds the Watermill middleware every projector runs,
// outermost first:
//
//	decode (Debezium → outbox.Event, once per message)
//	→ correlation/logging → poison queue (permanent errors only)
//	→ retry (capped exponential backoff; transient errors forever)
//	→ timeout (per attempt, detached from shutdown) → recoverer (panic → error)
//	→ handler
//
// Recoverer sits innermost so a panic becomes an error that retry and the
// poison queue see; outermost it would turn into an endless nack loop.
package middleware
