// Package e2e runs the whole pipeline in containers (PostgreSQL outbox →
// Debezium → Kafka → the three projectors → MongoDB) and checks the read
// models through the same clients an operator would use.
package e2e
