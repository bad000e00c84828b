package sqlstore

import (
	"context"
	"fmt"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

func scanTemplate(row Row) (bridge.Template, error) {
	var (
		t     bridge.Template
		store string
		at    int64
	)
	if err := row.Scan(&t.Name, &t.Site, &store, &t.Text, &t.By, &at); err != nil {
		return bridge.Template{}, err
	}
	t.Store, t.At = bridge.StoreID(store), state.FromUnixNano(at)
	return t, nil
}

// Templates lists every template variant: by name, the default first, then
// the sites' and the stores' variants.
func (s *Store) Templates(ctx context.Context) ([]bridge.Template, error) {
	out, err := queryAll(ctx, s, scanTemplate,
		`SELECT name, site, store, text, saved_by, saved_at FROM templates
		 ORDER BY name, CASE WHEN store <> '' THEN 2 WHEN site <> '' THEN 1 ELSE 0 END, site, store`)
	if err != nil {
		return nil, s.wrapErr(err, "read templates")
	}
	return out, nil
}

// SaveTemplate creates or replaces one variant of a template.
func (s *Store) SaveTemplate(ctx context.Context, t bridge.Template) error {
	if t.Site != "" && t.Store != "" {
		return fmt.Errorf("%s: save template %s: a variant is for a site or for a store, not both", s.d.Name, t.Name)
	}
	_, err := s.conn.Exec(ctx,
		`INSERT INTO templates (name, site, store, text, saved_by, saved_at) VALUES ($1, $2, $3, $4, $5, $6)
		 ON CONFLICT (name, site, store) DO UPDATE SET text = excluded.text, saved_by = excluded.saved_by,
		   saved_at = excluded.saved_at`,
		t.Name, t.Site, string(t.Store), t.Text, t.By, state.UnixNano(t.At))
	return s.wrapErr(err, "save template %s", t.Name)
}

// DeleteTemplate deletes a template with every variant.
func (s *Store) DeleteTemplate(ctx context.Context, name string) error {
	_, err := s.conn.Exec(ctx, `DELETE FROM templates WHERE name = $1`, name)
	return s.wrapErr(err, "delete template %s", name)
}

// DeleteTemplateVariant deletes one variant of a template.
func (s *Store) DeleteTemplateVariant(ctx context.Context, name, site string, store bridge.StoreID) error {
	err := mustAffect(s.conn.Exec(ctx,
		`DELETE FROM templates WHERE name = $1 AND site = $2 AND store = $3`, name, site, string(store)))
	return s.wrapErr(err, "delete a variant of template %s", name)
}
