package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// MetaStore is a small key/value store; bridge.State satisfies it. With it
// the surface keeps each topic's header card id across restarts, so headers
// opened before a restart can still be edited.
type MetaStore interface {
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error
}

// Deps are what the surface needs from the application.
type Deps struct {
	Logger *slog.Logger
	// Clock paces sends and schedules checks (default: the system clock).
	Clock bridge.Clock
	// Routes is the bridge's HTTP listener; webhook mode registers on it.
	Routes bridge.Routes
	// Meta is optional (see MetaStore).
	Meta MetaStore
	// Refusals counts webhook requests refused (wrong secret token,
	// unreadable body) and bounds their log lines; nil builds one logging to
	// Logger (the application shares one across endpoints).
	Refusals *bridge.Refusals
}

// Surface is the Telegram chat surface. It implements bridge.Chat and the
// optional bridge.BatchPoster, bridge.Router, bridge.MessageUpdater,
// bridge.ReportPoster and bridge.InspectionPoster.
type Surface struct {
	cfg     Config
	log     *slog.Logger
	clock   bridge.Clock
	meta    MetaStore
	bot     *bot.Bot
	admins  map[int64]bool
	pacer   *pacer
	health  *health
	render  renderer
	combine bool
	// refusals counts refused webhook requests.
	refusals *bridge.Refusals
	// life ends when AbortCalls is called; every Bot API call ends with it.
	life  context.Context
	abort context.CancelCauseFunc

	active    atomic.Pointer[listener]
	listening atomic.Bool

	mu      sync.Mutex
	chats   map[int64]chatInfo
	headers map[threadKey]headerInfo
	lanes   map[int64]*lane
	// owed are the headers still to be put at the top of a new topic's
	// first post (see OpenThread); names the topic names last applied;
	// closed the topics people closed (from their service messages).
	owed        *fifoMap[threadKey, bridge.ThreadHeader]
	names       *fifoMap[threadKey, string]
	closed      *fifoMap[threadKey, struct{}]
	notices     *fifoMap[bridge.ReplyID, msgKey]
	reactions   *fifoMap[msgKey, string]
	noPin       map[int64]bool
	chains      *chains
	buttons     *buttons
	seen        *recentSet
	editNotices *fifoMap[msgKey, struct{}]
	// shapes are the posts of buyer messages this process made, so an edit
	// (UpdateMessages) lays each out again the same way.
	shapes *fifoMap[msgKey, postShape]

	// webhookErrAt is the last webhook delivery error seen (Listen only).
	webhookErrAt int
}

var (
	_ bridge.Chat             = (*Surface)(nil)
	_ bridge.BatchPoster      = (*Surface)(nil)
	_ bridge.Router           = (*Surface)(nil)
	_ bridge.MessageUpdater   = (*Surface)(nil)
	_ bridge.ReportPoster     = (*Surface)(nil)
	_ bridge.SingleListener   = (*Surface)(nil)
	_ bridge.InspectionPoster = (*Surface)(nil)
)

// New builds the surface from cfg. It applies defaults, refuses a bad
// configuration with every problem listed, and registers the webhook
// handler in webhook mode. It makes no network call and starts nothing:
// Listen does.
func New(cfg Config, deps Deps) (*Surface, error) {
	cfg.SetDefaults()
	if probs := cfg.Validate(); len(probs) > 0 {
		return nil, &ConfigError{Problems: probs}
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Clock == nil {
		deps.Clock = bridge.SystemClock{}
	}
	loc, _ := time.LoadLocation(cfg.TimeZone)
	log := deps.Logger.With("surface", platform)
	if deps.Refusals == nil {
		deps.Refusals = bridge.NewRefusals(log, deps.Clock, 0)
	}
	s := &Surface{
		cfg:         cfg,
		log:         log,
		refusals:    deps.Refusals,
		clock:       deps.Clock,
		meta:        deps.Meta,
		admins:      map[int64]bool{},
		pacer:       newPacer(deps.Clock, cfg.Pacing),
		health:      newHealth(),
		render:      renderer{loc: loc},
		combine:     *cfg.Pacing.Combine,
		chats:       map[int64]chatInfo{},
		headers:     map[threadKey]headerInfo{},
		lanes:       map[int64]*lane{},
		owed:        newFIFOMap[threadKey, bridge.ThreadHeader](10000),
		names:       newFIFOMap[threadKey, string](50000),
		closed:      newFIFOMap[threadKey, struct{}](10000),
		notices:     newFIFOMap[bridge.ReplyID, msgKey](10000),
		reactions:   newFIFOMap[msgKey, string](10000),
		noPin:       map[int64]bool{},
		chains:      newChains(50000),
		buttons:     newButtons(10000),
		seen:        newRecentSet(4096),
		editNotices: newFIFOMap[msgKey, struct{}](4096),
		shapes:      newFIFOMap[msgKey, postShape](20000),
	}
	for _, a := range cfg.Admins {
		s.admins[a] = true
	}
	s.life, s.abort = context.WithCancelCause(context.Background())
	tr := &transport{
		client: &http.Client{Timeout: cfg.PollTimeout + 15*time.Second},
		onPoll: s.health.connection,
		life:   s.life,
	}
	b, err := bot.New(cfg.Token,
		bot.WithSkipGetMe(),
		bot.WithServerURL(cfg.APIURL),
		bot.WithHTTPClient(cfg.PollTimeout, tr),
		bot.WithNotAsyncHandlers(),
		bot.WithUpdatesChannelCap(0),
		bot.WithAllowedUpdates(allowedUpdates),
		bot.WithDefaultHandler(s.onPolledUpdate),
		bot.WithErrorsHandler(func(err error) { s.log.Debug("bot library", "err", err) }),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	s.bot = b
	if cfg.Mode == ModeWebhook {
		if deps.Routes == nil {
			return nil, errors.New("telegram: webhook mode needs the bridge's HTTP listener (Deps.Routes)")
		}
		deps.Routes.Handle(cfg.WebhookPath, s.WebhookHandler())
	}
	return s, nil
}

// ConfigError lists every problem of a configuration.
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string {
	msg := "telegram: invalid configuration:"
	for _, p := range e.Problems {
		msg += "\n  " + p
	}
	return msg
}

// Name is "telegram".
func (s *Surface) Name() string { return platform }

// allowedUpdates are the update kinds the surface asks for.
var allowedUpdates = bot.AllowedUpdates{
	models.AllowedUpdateMessage, models.AllowedUpdateEditedMessage,
	models.AllowedUpdateCallbackQuery, models.AllowedUpdateMyChatMember,
}

// threadKey is a parsed ThreadRef: a chat and a topic id (forum) or a
// header message id (reply chain).
type threadKey struct {
	chat int64
	id   int
}

func (k threadKey) ref() bridge.ThreadRef {
	return bridge.ThreadRef{Channel: chatString(k.chat), ID: strconv.Itoa(k.id)}
}

// msgKey locates one message.
type msgKey struct {
	chat int64
	id   int
}

func (k msgKey) ref() bridge.ChatMessageRef {
	return bridge.ChatMessageRef{Channel: chatString(k.chat), ID: strconv.Itoa(k.id)}
}

func chatString(id int64) string { return strconv.FormatInt(id, 10) }

func parseChat(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("%q is not a Telegram chat id", s)
	}
	return id, nil
}

func parseThread(t bridge.ThreadRef) (threadKey, error) {
	chat, err := parseChat(t.Channel)
	if err != nil {
		return threadKey{}, bridge.Permanent(platform, "parse thread", err.Error())
	}
	id, err := strconv.Atoi(t.ID)
	if err != nil || id <= 0 {
		return threadKey{}, bridge.Permanent(platform, "parse thread", fmt.Sprintf("%q is not a topic or message id", t.ID))
	}
	return threadKey{chat, id}, nil
}

func parseMessage(m bridge.ChatMessageRef) (msgKey, error) {
	chat, err := parseChat(m.Channel)
	if err != nil {
		return msgKey{}, bridge.Permanent(platform, "parse message", err.Error())
	}
	id, err := strconv.Atoi(m.ID)
	if err != nil || id <= 0 {
		return msgKey{}, bridge.Permanent(platform, "parse message", fmt.Sprintf("%q is not a message id", m.ID))
	}
	return msgKey{chat, id}, nil
}

// chatInfo is what the surface caches about a chat.
type chatInfo struct {
	forum bool
	title string
	// reactions is the chat's allowed reactions; nil means all.
	reactions map[string]bool
}

// chatInfo returns the chat's cached info, asking getChat once.
func (s *Surface) chatInfo(ctx context.Context, chat int64) (chatInfo, error) {
	s.mu.Lock()
	ci, ok := s.chats[chat]
	s.mu.Unlock()
	if ok {
		return ci, nil
	}
	var full *models.ChatFullInfo
	err := s.call(ctx, "get chat", chat, func(ctx context.Context) error {
		var err error
		full, err = s.bot.GetChat(ctx, &bot.GetChatParams{ChatID: chat})
		return err
	})
	if err != nil {
		return chatInfo{}, err
	}
	ci = chatInfo{forum: full.IsForum, title: full.Title}
	if full.AvailableReactions != nil {
		ci.reactions = map[string]bool{}
		for _, r := range full.AvailableReactions {
			if r.ReactionTypeEmoji != nil {
				ci.reactions[normalizeEmoji(r.ReactionTypeEmoji.Emoji)] = true
			}
		}
	}
	s.mu.Lock()
	s.chats[chat] = ci
	s.mu.Unlock()
	return ci, nil
}

// forgetChat drops the cached info, e.g. after the bot was re-added.
func (s *Surface) forgetChat(chat int64) {
	s.mu.Lock()
	delete(s.chats, chat)
	s.mu.Unlock()
}

// route picks the chat of a store's threads: the store's own channel, else
// its site's chat, else the inbox.
func (s *Surface) route(st bridge.Store) (int64, error) {
	if st.Channel != "" {
		id, err := parseChat(st.Channel)
		if err != nil {
			return 0, bridge.Permanent(platform, "route", fmt.Sprintf("store %s: channel %s", st.ID, err))
		}
		return id, nil
	}
	if id, ok := s.cfg.SiteChats[normalizeSite(st.Site)]; ok {
		return id, nil
	}
	return s.cfg.InboxChat, nil
}

func normalizeSite(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// isAdmin reports whether a Telegram user is a configured admin.
func (s *Surface) isAdmin(id int64) bool { return s.admins[id] }

// previewOff disables link previews: buyer links never unfold into cards.
func previewOff() *models.LinkPreviewOptions {
	return &models.LinkPreviewOptions{IsDisabled: bot.True()}
}

// ListenerLease names the lease of the update consumer: Telegram allows one
// getUpdates consumer per bot token, so with several replicas one listens.
func (s *Surface) ListenerLease() string { return "telegram-updates" }
