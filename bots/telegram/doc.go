// Package telegram is shopbridge's Telegram chat surface: one forum topic
// per buyer conversation (or, in a group without topics, one reply chain per
// conversation), agent replies relayed back to the buyer with their fate shown
// as a reaction, alerts edited in place with inline Retry buttons, and the
// admin commands of the core dispatcher.
//
// It speaks the Bot API through github.com/go-telegram/bot, by long polling
// (default) or by a webhook registered on the bridge's HTTP listener. Every
// send is paced per chat, per group and globally on the injected clock; a 429
// is waited out, never dropped; and under a burst into one group the buyer
// messages of one conversation that wait behind the limiter are combined into
// one post (see lane.go and BatchPoster).
package telegram
