package readmodel

import (
	"context"
	"sync"

	"github.com/activityapp/event-processor/shared/projection"
)

// Repository stores domain values D as documents M: the shape of every
// read-model repository, so services only write the mapping.
type Repository[D any, M any, PM Document[M]] struct {
	store      *Store[M, PM]
	toDomain   func(*M) D
	fromDomain func(D, *M)
}

// NewRepository returns a repository over store with the given mapping.
// toDomain receives a document whose ID is set even when it is new.
func NewRepository[D any, M any, PM Document[M]](store *Store[M, PM], toDomain func(*M) D, fromDomain func(D, *M)) *Repository[D, M, PM] {
	return &Repository[D, M, PM]{store: store, toDomain: toDomain, fromDomain: fromDomain}
}

// Get returns the value with id, or found=false.
func (r *Repository[D, M, PM]) Get(ctx context.Context, id string) (D, bool, error) {
	doc, found, err := r.store.Get(ctx, id)
	if err != nil || !found {
		var zero D
		return zero, found, err
	}
	return r.toDomain(&doc), true, nil
}

// UpdateBatch applies changes to their documents and stores each changed
// document once (Store.UpdateBatch).
func (r *Repository[D, M, PM]) UpdateBatch(ctx context.Context, changes []projection.Change[D]) error {
	docChanges := make([]Change[PM], len(changes))
	for i, c := range changes {
		docChanges[i] = Change[PM]{ID: c.ID, CommittedAt: c.CommittedAt, Apply: r.mapped(c.Apply), Creates: c.Creates}
	}
	_, err := r.store.UpdateBatch(ctx, docChanges)
	return err
}

// mapped runs a change of the domain value on a document.
func (r *Repository[D, M, PM]) mapped(change func(*D) (bool, error)) func(PM) (bool, error) {
	return func(doc PM) (bool, error) {
		v := r.toDomain((*M)(doc))
		changed, err := change(&v)
		if err != nil || !changed {
			return false, err
		}
		r.fromDomain(v, (*M)(doc))
		return true, nil
	}
}

// Update loads id, lets change modify it, and stores it if changed.
func (r *Repository[D, M, PM]) Update(ctx context.Context, id string, change func(*D) (bool, error)) error {
	return r.store.Update(ctx, id, r.mapped(change))
}

// Memory keeps domain values in memory with Repository's semantics, for
// unit tests of application code.
type Memory[D any] struct {
	mu     sync.Mutex
	values map[string]D
	// newValue makes the value Update starts from when id is absent.
	newValue func(id string) D
	// clone deep-copies a value, so a change that fails half-way leaves
	// the stored value untouched and readers cannot alias it.
	clone func(D) D
}

// NewMemory returns an empty in-memory repository.
func NewMemory[D any](newValue func(id string) D, clone func(D) D) *Memory[D] {
	return &Memory[D]{values: make(map[string]D), newValue: newValue, clone: clone}
}

// Get returns the value with id, or found=false.
func (m *Memory[D]) Get(_ context.Context, id string) (D, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.values[id]
	if !ok {
		return v, false, nil
	}
	return m.clone(v), true, nil
}

// UpdateBatch applies the changes one by one, as Update.
func (m *Memory[D]) UpdateBatch(ctx context.Context, changes []projection.Change[D]) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range changes {
		if err := m.update(c.ID, c.Apply); err != nil {
			return err
		}
	}
	return nil
}

// Update loads id, lets change modify it, and stores it if changed.
func (m *Memory[D]) Update(_ context.Context, id string, change func(*D) (bool, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.update(id, change)
}

func (m *Memory[D]) update(id string, change func(*D) (bool, error)) error {
	v, ok := m.values[id]
	if ok {
		v = m.clone(v)
	} else {
		v = m.newValue(id)
	}
	changed, err := change(&v)
	if err != nil || !changed {
		return err
	}
	// Keep a copy: the change may still hold maps or pointers of v.
	m.values[id] = m.clone(v)
	return nil
}
