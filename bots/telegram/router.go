package telegram

import "github.com/shopbridge/shopbridge/bridge"

// Destination names the chat a store's new threads open in, formatted like
// the Channel of the ThreadRefs the surface returns (the chat id), so the
// engine runs one poster per chat and finds existing threads under it. It
// follows the same routing as OpenThread: the store's own channel, else its
// site's chat, else the inbox. A store channel that is not a chat id is
// returned as it is: it is its own destination, and OpenThread refuses it
// with a permanent error.
func (s *Surface) Destination(st bridge.Store) string {
	chat, err := s.route(st)
	if err != nil {
		return st.Channel
	}
	return chatString(chat)
}
