// Package state holds what shopbridge's state backends share: the Cipher that
// encrypts marketplace tokens at rest, and the encodings every backend uses so
// that they store the same values the same way. The backends themselves live in
// state/sqlite (embedded, the default) and state/postgres, which share one
// implementation of the queries (state/internal/sqlstore); state/statetest is
// the contract suite both pass.
package state
