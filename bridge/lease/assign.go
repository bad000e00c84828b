package lease

import (
	"cmp"
	"hash/fnv"
	"slices"
	"strings"
)

// Assign spreads names over replicas evenly and the same way on every
// replica that sees the same names and replicas: each replica gets
// ⌊N/R⌋ or ⌈N/R⌉ names. It is rendezvous hashing with bounded loads: every
// (name, replica) pair has a score (a hash of both), and the pairs are
// taken from the highest score down, a name going to the first replica
// that still has room; so most names keep their owner when a replica joins
// or leaves (about the new replica's share moves to it). It returns each
// name's owner (nil without replicas).
func Assign(names, replicas []string) map[string]string {
	if len(replicas) == 0 {
		return nil
	}
	names = uniqueSorted(names)
	replicas = uniqueSorted(replicas)
	type pair struct {
		name, replica string
		score         uint64
	}
	pairs := make([]pair, 0, len(names)*len(replicas))
	for _, n := range names {
		for _, r := range replicas {
			pairs = append(pairs, pair{n, r, score(r, n)})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.replica, b.replica)
	})
	floor, extra := len(names)/len(replicas), len(names)%len(replicas)
	load := make(map[string]int, len(replicas))
	owner := make(map[string]string, len(names))
	for _, p := range pairs {
		if _, done := owner[p.name]; done {
			continue
		}
		// Room: below the floor, or at it while names are left over.
		l := load[p.replica]
		if l > floor || (l == floor && extra == 0) {
			continue
		}
		if l == floor {
			extra--
		}
		load[p.replica]++
		owner[p.name] = p.replica
		if len(owner) == len(names) {
			break
		}
	}
	return owner
}

// score is replica r's weight for name n (FNV-1a of both, which every
// replica computes alike).
func score(r, n string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(r))
	h.Write([]byte{0})
	h.Write([]byte(n))
	return h.Sum64()
}

func uniqueSorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
