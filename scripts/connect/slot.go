package connect

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SlotStatus is a replication slot's state on the database.
type SlotStatus struct {
	Name   string
	Active bool
	// RetainedBytes is the WAL PostgreSQL keeps for the slot (from its
	// restart_lsn to the current WAL position): it grows while the
	// connector does not read, until the disk is full.
	RetainedBytes int64
	// ConfirmedLagBytes is the WAL written since the slot's
	// confirmed_flush_lsn: how far behind the connector has confirmed.
	ConfirmedLagBytes int64
}

// ErrNoSlot is returned for a slot that does not exist.
var ErrNoSlot = errors.New("connect: no such replication slot")

// PostgresSlot reads one slot through a pgx pool.
type PostgresSlot struct {
	Pool *pgxpool.Pool
	Name string
}

// Slot implements SlotReader.
func (p PostgresSlot) Slot(ctx context.Context) (SlotStatus, error) {
	s := SlotStatus{Name: p.Name}
	err := p.Pool.QueryRow(ctx, `SELECT active,
		COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint,
		COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), 0)::bigint
		FROM pg_replication_slots WHERE slot_name = $1`, p.Name).Scan(&s.Active, &s.RetainedBytes, &s.ConfirmedLagBytes)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("%w: %s", ErrNoSlot, p.Name)
	}
	if err != nil {
		return s, fmt.Errorf("connect: replication slot %s: %w", p.Name, err)
	}
	return s, nil
}
