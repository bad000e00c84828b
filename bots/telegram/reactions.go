package telegram

import "strings"

// allowedReactions is the Bot API's fixed list of emoji a bot may set with
// setMessageReaction (ReactionTypeEmoji). ✅, ❌ and ⏳ are not on it; the
// library does not check, so the adapter does, at start.
var allowedReactions = func() map[string]bool {
	list := []string{
		"👍", "👎", "❤", "🔥", "🥰", "👏", "😁", "🤔", "🤯", "😱", "🤬", "😢", "🎉", "🤩",
		"🤮", "💩", "🙏", "👌", "🕊", "🤡", "🥱", "🥴", "😍", "🐳", "❤\u200d🔥", "🌚", "🌭",
		"💯", "🤣", "⚡", "🍌", "🏆", "💔", "🤨", "😐", "🍓", "🍾", "💋", "🖕", "😈", "😴",
		"😭", "🤓", "👻", "👨\u200d💻", "👀", "🎃", "🙈", "😇", "😨", "🤝", "✍", "🤗", "🫡",
		"🎅", "🎄", "☃", "💅", "🤪", "🗿", "🆒", "💘", "🙉", "🦄", "😘", "💊", "🙊", "😎",
		"👾", "🤷\u200d♂", "🤷", "🤷\u200d♀", "😡",
	}
	m := make(map[string]bool, len(list))
	for _, e := range list {
		m[e] = true
	}
	return m
}()

// normalizeEmoji drops variation selectors (U+FE0F), which people paste
// with emoji ("✍️") but the Bot API's list spells without.
func normalizeEmoji(e string) string {
	return strings.ReplaceAll(strings.TrimSpace(e), "\uFE0F", "")
}

// validReaction reports whether e (normalized) may be set by a bot.
func validReaction(e string) bool { return allowedReactions[normalizeEmoji(e)] }

// Reactions are the emoji that show a reply's status on the agent's message.
type Reactions struct {
	// Sending is shown while the reply is queued or being sent (default ✍).
	Sending string `yaml:"sending"`
	// Sent is shown once the marketplace accepted it (default 👌).
	Sent string `yaml:"sent"`
	// Failed is shown when it could not be sent (default 💔).
	Failed string `yaml:"failed"`
}
