package telegram

import (
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// buttons encodes actions as callback_data, which Telegram caps at 64
// bytes: "retry_send:123", "retry_sync:shop-my". An action too long for
// that is kept in memory under a short key ("k:7"); such a button expires
// with a restart, which its answer says.
type buttons struct {
	next atomic.Int64
	long *fifoMap[int64, bridge.Action]
}

func newButtons(max int) *buttons { return &buttons{long: newFIFOMap[int64, bridge.Action](max)} }

const longPrefix = "k:"

func (b *buttons) encode(a bridge.Action) string {
	data := a.ID + ":" + a.Value
	if len(data) <= maxCallbackData && !strings.HasPrefix(data, longPrefix) {
		return data
	}
	n := b.next.Add(1)
	b.long.put(n, a)
	return longPrefix + strconv.FormatInt(n, 10)
}

// decode returns the action of callback data; false when it expired.
func (b *buttons) decode(data string) (bridge.Action, bool) {
	if rest, ok := strings.CutPrefix(data, longPrefix); ok {
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return bridge.Action{}, false
		}
		return b.long.get(n)
	}
	id, value, _ := strings.Cut(data, ":")
	if id == "" {
		return bridge.Action{}, false
	}
	return bridge.Action{ID: id, Value: value}, true
}

// keyboard is one row of inline buttons for actions (nil without any).
func (b *buttons) keyboard(actions []bridge.Action) *models.InlineKeyboardMarkup {
	if len(actions) == 0 {
		return nil
	}
	row := make([]models.InlineKeyboardButton, 0, len(actions))
	for _, a := range actions {
		label := a.Label
		if label == "" {
			label = a.ID
		}
		if a.ID == bridge.ActionRetrySend || a.ID == bridge.ActionRetrySync {
			label = "🔁 " + label
		}
		row = append(row, models.InlineKeyboardButton{Text: label, CallbackData: b.encode(a)})
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{row}}
}

// noKeyboard removes a message's buttons when edited.
func noKeyboard() *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}}
}
