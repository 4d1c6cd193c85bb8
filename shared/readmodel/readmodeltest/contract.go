// Package readmodeltest tests read-model repositories: Run is the contract
// every repository of package readmodel keeps (in memory and in MongoDB),
// checked with the fixtures of a service's domain; the other helpers look
// at what a MongoDB repository stored.
package readmodeltest

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Repository is a read-model repository of values D, as each service's
// domain declares it (user.Repository, activity.Repository) and as
// readmodel.Repository and readmodel.Memory implement it. Update loads id
// (Empty when absent), calls change, and stores the result if change
// reports a modification without an error.
type Repository[D any] interface {
	Get(ctx context.Context, id string) (D, bool, error)
	Update(ctx context.Context, id string, change func(*D) (bool, error)) error
}

// Contract is a repository to check, with fixtures of its domain.
type Contract[D any] struct {
	// New returns an empty repository for t.
	New func(t *testing.T) Repository[D]
	// Empty returns the value Update starts from for an absent id.
	Empty func(id string) D
	// Samples returns two or more distinct values with id, each with every
	// field set (maps and pointers included, where the domain has them).
	// Every call must return new, equal values: Run alters them.
	Samples func(id string) []D
	// Alter changes a sample in place and deeply: a field, a map entry and,
	// where the sample has one, a value behind a pointer. A repository that
	// shares memory between what it stores and what it hands out shows it.
	// The result must still be storable as it is (e.g. times with the
	// precision the store keeps).
	Alter func(*D)
	// Steps are domain changes, each reporting a modification, applied one
	// by one from Empty: after each, the stored value must equal the value
	// the same steps produce in memory. They must not depend on the id.
	Steps []func(*D) bool
}

// errChange is what a failing change returns.
var errChange = errors.New("readmodeltest: change failed")

// Run checks the contract of the repositories c.New returns, each subtest
// on a new one.
func Run[D any](t *testing.T, c Contract[D]) {
	n := len(c.Samples("sample"))

	// forEachStored stores every sample in repo, each as the value of an id
	// of its own, and calls check with the id and a new copy of the sample.
	forEachStored := func(t *testing.T, repo Repository[D], check func(id string, want D)) {
		t.Helper()
		for i := range n {
			id := "sample-" + strconv.Itoa(i)
			Store(t, repo, id, c.Samples(id)[i])
			check(id, c.Samples(id)[i])
		}
	}

	t.Run("fixtures are usable", func(t *testing.T) {
		samples := c.Samples("sample")
		require.GreaterOrEqual(t, len(samples), 2, "Samples returns two or more values")
		require.NotEmpty(t, c.Steps, "Steps")
		assert.Equal(t, samples, c.Samples("sample"), "Samples returns equal values on every call")
		for i, s := range samples {
			assert.NotEqual(t, c.Empty("sample"), s, "sample %d is not empty", i)
			for j := range i {
				assert.NotEqual(t, samples[j], s, "samples %d and %d are distinct", j, i)
			}
			altered := c.Samples("sample")[i]
			c.Alter(&altered)
			assert.NotEqual(t, s, altered, "Alter changes sample %d", i)
		}
	})

	t.Run("get of an absent id finds nothing", func(t *testing.T) {
		repo := c.New(t)
		v, found := Get(t, repo, "absent")
		assert.False(t, found)
		var zero D
		assert.Equal(t, zero, v)
	})

	t.Run("update of an absent id starts from the empty value and creates it", func(t *testing.T) {
		repo := c.New(t)
		calls := 0
		require.NoError(t, repo.Update(t.Context(), "new", func(v *D) (bool, error) {
			calls++
			assert.Equal(t, c.Empty("new"), *v)
			*v = c.Samples("new")[0]
			return true, nil
		}))
		assert.Equal(t, 1, calls)
		got, found := Get(t, repo, "new")
		require.True(t, found)
		assert.Equal(t, c.Samples("new")[0], got)
	})

	t.Run("get returns exactly what update stored", func(t *testing.T) {
		repo := c.New(t)
		forEachStored(t, repo, func(id string, want D) {
			got, found := Get(t, repo, id)
			require.True(t, found, id)
			assert.Equal(t, want, got, id)
		})
		// Each sample over the one before, the first again at the end:
		// every field a sample leaves unset is cleared, not kept.
		for k := range n + 1 {
			i := k % n
			Store(t, repo, "overwritten", c.Samples("overwritten")[i])
			got, _ := Get(t, repo, "overwritten")
			assert.Equal(t, c.Samples("overwritten")[i], got, "overwritten with sample %d", i)
		}
	})

	t.Run("update starts from the stored value", func(t *testing.T) {
		repo := c.New(t)
		forEachStored(t, repo, func(id string, want D) {
			calls := 0
			require.NoError(t, repo.Update(t.Context(), id, func(v *D) (bool, error) {
				calls++
				assert.Equal(t, want, *v, id)
				return false, nil
			}))
			assert.Equal(t, 1, calls, id)
		})
	})

	t.Run("update applies the domain's steps", func(t *testing.T) {
		repo := c.New(t)
		const id = "stepped"
		model := c.Empty(id)
		for i, step := range c.Steps {
			require.True(t, step(&model), "step %d changes the value", i)
			require.NoError(t, repo.Update(t.Context(), id, func(v *D) (bool, error) { return step(v), nil }))
			got, found := Get(t, repo, id)
			require.True(t, found)
			require.Equal(t, model, got, "after step %d", i)
		}
	})

	// writesNothing checks that a change returning changed and err writes
	// nothing, on an absent id and over every sample, even after altering
	// the value, and that Update returns err.
	writesNothing := func(t *testing.T, changed bool, err error) {
		repo := c.New(t)
		require.ErrorIs(t, repo.Update(t.Context(), "new", func(v *D) (bool, error) {
			*v = c.Samples("new")[0]
			return changed, err
		}), err)
		_, found := Get(t, repo, "new")
		assert.False(t, found, "a new value is not created")

		forEachStored(t, repo, func(id string, want D) {
			require.ErrorIs(t, repo.Update(t.Context(), id, func(v *D) (bool, error) {
				c.Alter(v)
				return changed, err
			}), err, id)
			got, _ := Get(t, repo, id)
			assert.Equal(t, want, got, id)
		})
	}
	t.Run("change returning false writes nothing", func(t *testing.T) {
		writesNothing(t, false, nil)
	})
	t.Run("change returning an error writes nothing and returns the error", func(t *testing.T) {
		writesNothing(t, true, errChange)
	})

	t.Run("get returns a copy", func(t *testing.T) {
		repo := c.New(t)
		forEachStored(t, repo, func(id string, want D) {
			got, _ := Get(t, repo, id)
			c.Alter(&got)
			again, _ := Get(t, repo, id)
			assert.Equal(t, want, again, id)
		})
	})

	t.Run("ids are independent", func(t *testing.T) {
		repo := c.New(t)
		Store(t, repo, "a", c.Samples("a")[0])
		Store(t, repo, "b", c.Samples("b")[1])
		require.NoError(t, repo.Update(t.Context(), "a", func(v *D) (bool, error) {
			c.Alter(v)
			return true, nil
		}))
		wantA := c.Samples("a")[0]
		c.Alter(&wantA)
		gotA, _ := Get(t, repo, "a")
		gotB, _ := Get(t, repo, "b")
		assert.Equal(t, wantA, gotA)
		assert.Equal(t, c.Samples("b")[1], gotB)
	})
}

// Store writes v as the value of id through Update, failing t on an error.
func Store[D any](t testing.TB, repo Repository[D], id string, v D) {
	t.Helper()
	require.NoError(t, repo.Update(t.Context(), id, func(cur *D) (bool, error) {
		*cur = v
		return true, nil
	}))
}

// Get returns the value of id and whether it was found, failing t on an
// error.
func Get[D any](t testing.TB, repo Repository[D], id string) (D, bool) {
	t.Helper()
	v, found, err := repo.Get(t.Context(), id)
	require.NoError(t, err)
	return v, found
}
