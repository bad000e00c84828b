package simulator

import "net/http"

// lazadaControlRoutes adds the Lazada control endpoints under /_sim/lazada/
// (beside the platform-neutral ones, which serve Lazada shops too).
func (s *Simulator) lazadaControlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_sim/lazada/config", func(w http.ResponseWriter, r *http.Request) {
		c := s.LazadaConfig()
		writeJSON(w, http.StatusOK, map[string]any{
			"app_key": c.AppKey, "app_secret": c.AppSecret, "push_callback_url": c.PushCallbackURL,
			"push_timeout": c.PushTimeout.String(), "push_retry_interval": c.PushRetryInterval.String(), "push_retries": c.PushRetries,
			"poll_flag_per_hour": c.PollFlagPerHour, "revoke_when_flagged": c.RevokeWhenFlagged,
		})
	})
	mux.HandleFunc("POST /_sim/lazada/push_callback", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			URL string `json:"url"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		s.SetLazadaPushCallback(req.URL)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/lazada/push_stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.LazadaPushStats())
	})
	mux.HandleFunc("GET /_sim/lazada/polling", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"shop_id": r.URL.Query().Get("shop_id"), "polling": s.LazadaPolling(r.URL.Query().Get("shop_id")),
			"permission_revoked": s.LazadaPermissionRevoked(),
		})
	})
	mux.HandleFunc("POST /_sim/lazada/restore_permission", func(w http.ResponseWriter, r *http.Request) {
		s.RestoreLazadaPermission()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/lazada/messages", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ShopID      string         `json:"shop_id"`
			BuyerID     string         `json:"buyer_id"`
			Type        string         `json:"type"`
			Text        string         `json:"text"`
			Translation string         `json:"translation"`
			From        Sender         `json:"from"`
			AutoReply   bool           `json:"auto_reply"`
			ProcessMsg  string         `json:"process_msg"`
			Content     map[string]any `json:"content"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		m, err := s.LazadaSends(req.ShopID, req.BuyerID, LazadaMessage{Type: req.Type, Text: req.Text, Translation: req.Translation,
			From: req.From, AutoReply: req.AutoReply, ProcessMsg: req.ProcessMsg, Content: req.Content})
		if err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusCreated, m)
	})
	mux.HandleFunc("POST /_sim/lazada/recall", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ShopID    string `json:"shop_id"`
			MessageID string `json:"message_id"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		if err := s.LazadaRecall(req.ShopID, req.MessageID); err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/lazada/app.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write([]byte(s.LazadaAppYAML()))
	})
}
