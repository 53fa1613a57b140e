package start

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"xsoc/config"
	"xsoc/integrations"
	"xsoc/workflows/api"
)

func planCustomer(services []string, vendors ...string) config.Customer {
	c := config.Customer{ID: "acme", Name: "ACME", Services: services}
	for _, v := range vendors {
		c.Platforms = append(c.Platforms, config.Platform{Vendor: v})
	}
	return c
}

func TestPlanRequestRefusesAtTheDoorWithWhy(t *testing.T) {
	t.Parallel()
	both := []string{"detect", "respond"}
	edr := planCustomer(both, "cybereason", "zscaler")
	domain := []integrations.Indicator{{Type: "domain", Value: "evil.example"}}
	tests := []struct {
		name     string
		customer config.Customer
		request  api.CustomerRequest
		conflict bool
		want     string
	}{
		{"no id", edr, api.CustomerRequest{Kind: "isolate", Host: "pc", By: "y"}, false, `"id" is required`},
		{"id with a slash", edr, api.CustomerRequest{ID: "a/b", Kind: "isolate", Host: "pc", By: "y"}, false, `without "/" or spaces`},
		{"unknown kind", edr, api.CustomerRequest{ID: "1", Kind: "reboot", Host: "pc", By: "y"}, false,
			`unknown kind "reboot": want one of isolate, release, block, unblock, investigate, option`},
		{"no by", edr, api.CustomerRequest{ID: "1", Kind: "isolate", Host: "pc"}, false, `"by" is required`},
		{"isolate without host", edr, api.CustomerRequest{ID: "1", Kind: "isolate", By: "y"}, false, `isolate needs "host"`},
		{"release with indicators", edr, api.CustomerRequest{ID: "1", Kind: "release", Host: "pc", Indicators: domain, By: "y"}, false,
			`release takes a "host" only`},
		{"block without indicators", edr, api.CustomerRequest{ID: "1", Kind: "block", By: "y"}, false, `block needs "indicators"`},
		{"block a hash", edr, api.CustomerRequest{ID: "1", Kind: "block", Indicators: []integrations.Indicator{{Type: "sha256", Value: "9f86"}}, By: "y"}, false,
			`indicator sha256 "9f86" cannot go on a denylist`},
		{"unknown indicator type", edr, api.CustomerRequest{ID: "1", Kind: "block", Indicators: []integrations.Indicator{{Type: "email", Value: "x"}}, By: "y"}, false,
			`unknown type "email"`},
		{"investigate nothing", edr, api.CustomerRequest{ID: "1", Kind: "investigate", By: "y"}, false, `investigate needs a "host" or "indicators"`},
		{"option without tickets", edr, api.CustomerRequest{ID: "1", Kind: "option", Service: "forensics", By: "y"}, false, `option needs "service"`},
		{"zscaler cannot isolate", planCustomer(both, "zscaler"), api.CustomerRequest{ID: "1", Kind: "isolate", Host: "pc", By: "y"}, false,
			"customer acme has no platform that can isolate a host (platforms: zscaler (it blocks URLs, domains and IPs; it has no host isolation))"},
		{"named zscaler cannot isolate", edr, api.CustomerRequest{ID: "1", Kind: "isolate", Host: "pc", By: "y", Vendor: "zscaler"}, false,
			"zscaler cannot isolate a host"},
		{"EDR cannot block", planCustomer(both, "cybereason"), api.CustomerRequest{ID: "1", Kind: "block", Indicators: domain, By: "y"}, false,
			"customer acme has no platform that can block indicators (platforms: cybereason (it isolates hosts; xsoc keeps no denylist there))"},
		{"named platform not configured", edr, api.CustomerRequest{ID: "1", Kind: "isolate", Host: "pc", By: "y", Vendor: "withsecure"}, false,
			"customer acme has no withsecure platform (platforms: cybereason, zscaler)"},
		{"detect only cannot isolate", planCustomer([]string{"detect"}, "cybereason"), api.CustomerRequest{ID: "1", Kind: "isolate", Host: "pc", By: "y"}, true,
			"customer acme is not subscribed to respond: xsoc does not isolate on its platforms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := PlanRequest(tt.customer, nil, tt.request)
			var refusal *RequestRefusal
			require.True(t, errors.As(err, &refusal), "refused: %v", err)
			require.Contains(t, refusal.Reason, tt.want)
			require.Equal(t, tt.conflict, refusal.Conflict)
		})
	}
}

func TestPlanRequestChoosesThePlatformsAndTheClock(t *testing.T) {
	t.Parallel()
	customer := planCustomer([]string{"detect", "respond"}, "zscaler", "cybereason", "withsecure")
	customer.Language, customer.Timezone = "ja", "Asia/Tokyo"
	soc := &config.SOC{Name: "X-SOC", Requests: config.Requests{Urgent: config.Duration(10 * time.Minute), Normal: config.Duration(2 * time.Hour)}}
	tests := []struct {
		request api.CustomerRequest
		vendors []string
		ack     time.Duration
	}{
		{api.CustomerRequest{ID: "1", Kind: " Isolate ", Host: " osk-pc-17 ", By: "Yamada <yamada@acme.example>", Urgent: true},
			[]string{"cybereason", "withsecure"}, 10 * time.Minute},
		{api.CustomerRequest{ID: "2", Kind: "block", Indicators: []integrations.Indicator{{Type: "URL", Value: "http://evil.example/x"}}, By: "yamada@acme.example"},
			[]string{"zscaler"}, 2 * time.Hour},
		{api.CustomerRequest{ID: "3", Kind: "investigate", Host: "osk-pc-17", By: "yamada@acme.example"},
			[]string{"zscaler", "cybereason", "withsecure"}, 2 * time.Hour},
		{api.CustomerRequest{ID: "4", Kind: "release", Host: "osk-pc-17", By: "yamada@acme.example", Vendor: "withsecure"},
			[]string{"withsecure"}, 2 * time.Hour},
		{api.CustomerRequest{ID: "5", Kind: "option", Service: "forensics", Tickets: 2, By: "yamada@acme.example"}, nil, 2 * time.Hour},
	}
	for _, tt := range tests {
		in, err := PlanRequest(customer, soc, tt.request)
		require.NoError(t, err, tt.request.ID)
		require.Equal(t, tt.vendors, in.Vendors, tt.request.ID)
		require.Equal(t, tt.ack, in.Ack.D(), tt.request.ID)
		require.Equal(t, "yamada@acme.example", in.RequesterEmail, tt.request.ID)
		require.Equal(t, "X-SOC", in.Policy.SOC.Name)
		require.Equal(t, "Asia/Tokyo", in.Policy.Timezone)
	}
	first, _ := PlanRequest(customer, soc, tests[0].request)
	require.Equal(t, api.CustomerRequest{ID: "1", Kind: "isolate", Host: "osk-pc-17", By: "Yamada <yamada@acme.example>", Urgent: true}, first.Request,
		"fields are trimmed, the kind lower-cased")

	withoutSOC, err := PlanRequest(customer, nil, api.CustomerRequest{ID: "6", Kind: "isolate", Host: "pc", By: "the IT desk", Urgent: true})
	require.NoError(t, err)
	require.Equal(t, config.DefaultRequests.Urgent, withoutSOC.Ack, "the SPEC's default without a soc: block")
	require.Empty(t, withoutSOC.RequesterEmail, "a requester without an email address hears nothing directly")
}
