package internetmarke

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/labelagent/labelagent/internal/yamlstrict"
)

// DefaultBaseURL is the production endpoint of INTERNETMARKE v1.
const DefaultBaseURL = "https://api-eu.dhl.com/post/de/shipping/im/v1"

// Environment variables that override the secrets in the YAML file, so the
// file itself can stay free of them.
const (
	EnvAPIKey    = "LABELAGENT_IM_API_KEY"
	EnvAPISecret = "LABELAGENT_IM_API_SECRET"
	EnvUsername  = "LABELAGENT_IM_USERNAME"
	EnvPassword  = "LABELAGENT_IM_PASSWORD"
)

// Config is the `internetmarke:` section of the agent's YAML file.
type Config struct {
	// Enabled switches the INTERNETMARKE features on.
	Enabled bool `yaml:"enabled"`
	// Printer receives stamps of purchases that name none ("" = the default printer).
	Printer string `yaml:"printer"`
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string `yaml:"base_url"`
	// APIKey and APISecret come from the DHL developer portal.
	APIKey    string `yaml:"api_key"`
	APISecret string `yaml:"api_secret"`
	// Username and Password are the Portokasse login (password ≤ 22 chars).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Format is "png" (default, best for thermal printers) or "pdf".
	Format string `yaml:"format"`
	// DPI is "DPI203" or "DPI300"; empty: chosen from the printer's dpi.
	DPI string `yaml:"dpi"`
	// PageFormat is the page format id for PDF stamps (29 = 62 x 100 mm with address).
	PageFormat int `yaml:"page_format"`
	// Layout is "ADDRESS_ZONE" or "FRANKING_ZONE" (default).
	Layout string `yaml:"layout"`
	// DefaultProduct is the product code used when a request names none (1 = Standardbrief).
	DefaultProduct int `yaml:"default_product"`
	// Products is the price list: the API has no public price endpoint, and
	// prices change every year, so they come from here (or from the
	// contract products when ContractProducts is set).
	Products []Product `yaml:"products"`
	// ContractProducts asks the catalog for CONTRACT_PRODUCTS and takes
	// their prices over the configured ones.
	ContractProducts bool `yaml:"contract_products"`
	// CatalogRefresh is how long the catalog is cached (default 12h).
	CatalogRefresh time.Duration `yaml:"catalog_refresh"`
	// Timeout per HTTP request (default 30s).
	Timeout time.Duration `yaml:"timeout"`
	// Sender is the default sender address for ADDRESS_ZONE stamps.
	Sender *Address `yaml:"sender"`
}

// Product is a product code with its name and price.
type Product struct {
	Code  int    `yaml:"code" json:"code"`
	Name  string `yaml:"name" json:"name"`
	Price Cents  `yaml:"price" json:"price"` // eurocents
}

// ApplyEnv fills the secrets from environment variables where they are set.
// getenv is os.Getenv in production.
func (c *Config) ApplyEnv(getenv func(string) string) {
	set := func(dst *string, key string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	set(&c.APIKey, EnvAPIKey)
	set(&c.APISecret, EnvAPISecret)
	set(&c.Username, EnvUsername)
	set(&c.Password, EnvPassword)
}

// withDefaults returns a copy with the defaults filled in.
func (c Config) withDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Format == "" {
		c.Format = "png"
	}
	if c.Layout == "" {
		c.Layout = LayoutFrankingZone
	}
	if c.DefaultProduct == 0 {
		c.DefaultProduct = 1
	}
	if c.CatalogRefresh <= 0 {
		c.CatalogRefresh = 12 * time.Hour
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	return c
}

// Validate reports every problem with the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if c.APIKey == "" {
		errs = append(errs, fmt.Errorf("internetmarke.api_key is empty (or set %s)", EnvAPIKey))
	}
	if c.APISecret == "" {
		errs = append(errs, fmt.Errorf("internetmarke.api_secret is empty (or set %s)", EnvAPISecret))
	}
	if c.Username == "" {
		errs = append(errs, fmt.Errorf("internetmarke.username is empty (or set %s)", EnvUsername))
	}
	if c.Password == "" {
		errs = append(errs, fmt.Errorf("internetmarke.password is empty (or set %s)", EnvPassword))
	} else if utf8.RuneCountInString(c.Password) > 22 {
		errs = append(errs, errors.New("internetmarke.password is longer than 22 characters, which the Portokasse login does not accept"))
	}
	switch strings.ToLower(c.Format) {
	case "", "png", "pdf":
	default:
		errs = append(errs, fmt.Errorf("internetmarke.format %q: want png or pdf", c.Format))
	}
	switch c.DPI {
	case "", DPI203, DPI300:
	default:
		errs = append(errs, fmt.Errorf("internetmarke.dpi %q: want DPI203 or DPI300", c.DPI))
	}
	switch c.Layout {
	case "", LayoutAddressZone, LayoutFrankingZone:
	default:
		errs = append(errs, fmt.Errorf("internetmarke.layout %q: want ADDRESS_ZONE or FRANKING_ZONE", c.Layout))
	}
	if strings.ToLower(c.Format) == "pdf" && c.PageFormat <= 0 {
		errs = append(errs, errors.New("internetmarke.page_format is needed for PDF stamps (e.g. 29 for 62 x 100 mm labels)"))
	}
	seen := map[int]bool{}
	for i, p := range c.Products {
		if p.Code <= 0 {
			errs = append(errs, fmt.Errorf("internetmarke.products[%d]: code must be > 0", i))
		}
		if p.Price < 0 {
			errs = append(errs, fmt.Errorf("internetmarke.products[%d]: negative price", i))
		}
		if seen[p.Code] {
			errs = append(errs, fmt.Errorf("internetmarke.products[%d]: product %d listed twice", i, p.Code))
		}
		seen[p.Code] = true
	}
	if c.Sender != nil {
		if err := c.Sender.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("internetmarke.sender: %w", err))
		}
	}
	return errors.Join(errs...)
}

// DPIFor picks the stamp resolution for a printer head: DPI300 for 300 dpi
// and above, DPI203 otherwise, so the DataMatrix lands on the printer's grid.
func DPIFor(printerDPI int) string {
	if printerDPI >= 300 {
		return DPI300
	}
	return DPI203
}

// ProductName is the name of a product code seen in public data, or
// "Produkt N". Names only: prices change yearly and come from the
// configuration or the contract catalog.
func ProductName(code int) string {
	switch code {
	case 1:
		return "Standardbrief"
	case 11:
		return "Kompaktbrief"
	case 21:
		return "Großbrief"
	case 31:
		return "Maxibrief"
	case 51:
		return "Postkarte"
	case 290:
		return "Bücher-/Warensendung"
	case 1002:
		return "Standardbrief + Einschreiben Einwurf"
	case 10001:
		return "Standardbrief International"
	}
	return fmt.Sprintf("Produkt %d", code)
}

// EnvBaseURL overrides internetmarke.base_url (e.g. to point at the simulator).
const EnvBaseURL = "LABELAGENT_IM_BASE_URL"

// DecodeConfig reads the internetmarke: section of the configuration file
// strictly (an unknown key is an error naming it) and applies the
// environment variables. An absent section decodes to a disabled Config.
func DecodeConfig(node *yaml.Node, getenv func(string) string) (Config, error) {
	var c Config
	var derr error
	// Decoded from the node itself, so problems name the configuration
	// file's lines; every unknown key and bad value is reported, and what
	// decoded is still returned, so Validate can find the rest.
	if err := yamlstrict.Decode(node, &c); err != nil {
		derr = fmt.Errorf("internetmarke section: %w", err)
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	c.ApplyEnv(getenv)
	if v := getenv(EnvBaseURL); v != "" {
		c.BaseURL = v
	}
	return c, derr
}

// UnmarshalYAML reads a price as eurocents (95) or as euros ("0,95", "0,95 €").
func (c *Cents) UnmarshalYAML(n *yaml.Node) error {
	var i int
	if err := n.Decode(&i); err == nil {
		if i < 0 {
			return fmt.Errorf("line %d: negative amount %d", n.Line, i)
		}
		*c = Cents(i)
		return nil
	}
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want eurocents (95) or euros (\"0,95\")", n.Line)
	}
	v, err := ParseCents(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*c = v
	return nil
}
