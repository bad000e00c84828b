package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// The JSON control API under /_sim/, for tests in other processes, the
// demo and `shopbridge simulate`. It is not authenticated: bind the
// simulator to loopback.
func (s *Simulator) controlRoutes(mux *http.ServeMux) {
	sc := &scripts{}
	mux.HandleFunc("GET /_sim/{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"endpoints": controlEndpoints})
	})
	mux.HandleFunc("GET /_sim/shops", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Shops())
	})
	mux.HandleFunc("POST /_sim/shops", func(w http.ResponseWriter, r *http.Request) {
		var shop Shop
		if !readJSON(w, r, &shop) {
			return
		}
		if err := s.AddShop(shop); err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusCreated, shop)
	})
	mux.HandleFunc("POST /_sim/buyer_says", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ShopID  string         `json:"shop_id"`
			BuyerID string         `json:"buyer_id"`
			Text    string         `json:"text"`
			Type    string         `json:"type"`
			Content map[string]any `json:"content"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		var m Message
		var err error
		if req.Type == "" || req.Type == "text" {
			m, err = s.BuyerSays(req.ShopID, req.BuyerID, req.Text)
		} else {
			m, err = s.BuyerSends(req.ShopID, req.BuyerID, req.Type, req.Content)
		}
		if err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusCreated, m)
	})
	mux.HandleFunc("POST /_sim/seller_centre_says", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ShopID  string `json:"shop_id"`
			BuyerID string `json:"buyer_id"`
			Text    string `json:"text"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		m, err := s.SellerCentreSays(req.ShopID, req.BuyerID, req.Text)
		if err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusCreated, m)
	})
	mux.HandleFunc("GET /_sim/messages", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(s.Messages(r.URL.Query().Get("shop_id"))))
	})
	mux.HandleFunc("GET /_sim/conversations", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(s.Conversations(r.URL.Query().Get("shop_id"))))
	})
	mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Faults())
	})
	mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if !readJSON(w, r, &f) {
			return
		}
		if f.Kind == FaultRefuse && f.For <= 0 {
			writeErr(w, http.StatusBadRequest, errors.New(`a refuse fault set through the control API needs "for" (the control API shares the listener)`))
			return
		}
		id, err := s.SetFault(f)
		if err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"id": id})
	})
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /_sim/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			writeErr(w, http.StatusBadRequest, errors.New("fault id must be a number"))
			return
		}
		s.ClearFault(FaultID(id))
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/tokens", func(w http.ResponseWriter, r *http.Request) {
		t, err := s.Tokens(r.URL.Query().Get("shop_id"))
		if err != nil {
			writeErr(w, http.StatusNotFound, err)
			return
		}
		writeJSON(w, http.StatusOK, t)
	})
	tokenAction := func(act func(string) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var req struct {
				ShopID string `json:"shop_id"`
			}
			if !readJSON(w, r, &req) {
				return
			}
			if err := act(req.ShopID); err != nil {
				writeErr(w, http.StatusNotFound, err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}
	}
	mux.HandleFunc("POST /_sim/tokens/expire", tokenAction(s.ExpireAccessToken))
	mux.HandleFunc("POST /_sim/tokens/revoke", tokenAction(s.RevokeTokens))
	mux.HandleFunc("GET /_sim/auth_code", func(w http.ResponseWriter, r *http.Request) {
		code, err := s.AuthorizationCode(r.URL.Query().Get("shop_id"))
		if err != nil {
			writeErr(w, http.StatusNotFound, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"code": code})
	})
	mux.HandleFunc("POST /_sim/buyers", func(w http.ResponseWriter, r *http.Request) {
		var script BuyerScript
		if !readJSON(w, r, &script) {
			return
		}
		run, err := s.StartBuyers(context.Background(), script)
		if err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
		sc.mu.Lock()
		sc.runs = append(sc.runs, run)
		sc.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("DELETE /_sim/buyers", func(w http.ResponseWriter, r *http.Request) {
		sc.mu.Lock()
		runs := sc.runs
		sc.runs = nil
		sc.mu.Unlock()
		for _, run := range runs {
			run.Stop()
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/calls", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Calls())
	})
	mux.HandleFunc("DELETE /_sim/calls", func(w http.ResponseWriter, r *http.Request) {
		s.ResetCalls()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/lost_pushes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(s.LostPushes()))
	})
	mux.HandleFunc("POST /_sim/push_callback", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			URL string `json:"url"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		s.SetPushCallback(req.URL)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/store_config", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write([]byte(s.StoreConfigYAML()))
	})
}

var controlEndpoints = []string{
	"GET /_sim/shops", "POST /_sim/shops {shop_id, site, name}",
	"POST /_sim/buyer_says {shop_id, buyer_id, text | type, content}",
	"POST /_sim/seller_centre_says {shop_id, buyer_id, text}",
	"GET /_sim/messages?shop_id=", "GET /_sim/conversations?shop_id=",
	"GET /_sim/faults", "POST /_sim/faults {kind, platform, path, shop_id, count, status, delay, retry_after, for}",
	"DELETE /_sim/faults", "DELETE /_sim/faults/{id}",
	"GET /_sim/tokens?shop_id=", "POST /_sim/tokens/expire {shop_id}", "POST /_sim/tokens/revoke {shop_id}",
	"GET /_sim/auth_code?shop_id=",
	"POST /_sim/buyers {shops, buyers_per_shop, interval, messages, seed, non_text}", "DELETE /_sim/buyers",
	"GET /_sim/calls", "DELETE /_sim/calls", "GET /_sim/lost_pushes",
	"POST /_sim/push_callback {url}", "GET /_sim/store_config",
	"GET /_sim/lazada/config", "POST /_sim/lazada/push_callback {url}", "GET /_sim/lazada/push_stats",
	"GET /_sim/lazada/polling?shop_id=", "POST /_sim/lazada/restore_permission",
	"POST /_sim/lazada/messages {shop_id, buyer_id, type, text, translation, from, auto_reply, process_msg, content}",
	"POST /_sim/lazada/recall {shop_id, message_id}", "GET /_sim/lazada/app.yaml",
	"GET /_sim/tiktok/config", "GET /_sim/tiktok/webhooks", "POST /_sim/tiktok/webhook_url {url}",
	"POST /_sim/tiktok/can_send {conversation_id, can_send}", "GET /_sim/tiktok/quota?shop_id=", "POST /_sim/tiktok/quota {shop_id, used}",
	"POST /_sim/tiktok/messages {shop_id, buyer_id, from, type, content, hidden}", "GET /_sim/tiktok/app.yaml",
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
