// Package telegram is shopbridge's Telegram chat surface: one forum topic
// per buyer conversation (or, in a group without topics, one reply chain per
// conversation), agent replies relayed back to the buyer with their fate shown
// as a reaction, alerts edited in place with inline Retry buttons, and the
// admin commands of the core dispatcher.
//
// It speaks the Bot API through github.com/go-telegram/bot, by long polling
// (default) or by a webhook registered on the bridge's HTTP listener. Every
// call that posts into a group spends its budget (about 20 a minute), so a
// new conversation costs a topic and one post that carries its header and
// its buyer messages (topics.go, headers.go); all such calls wait in the
// chat's lane in priority order, buyer content first (lane.go); the pacer
// learns each group's real allowance from 429s (pacing.go, allowance.go);
// a 429 is waited out, never dropped.
package telegram
