package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Analyst is a person who may answer pages: their name, which every decision they
// take through Slack or a call is recorded against, verified, and the Slack user and
// phone that prove them. soc.analysts decide on every customer's incidents; a
// customer's analysts (its own people) on that customer's only.
//
// They are not part of what the workflows are handed (json:"-"): only the starter,
// which maps a click or a keypress to a person, reads them.
type Analyst struct {
	Name string `yaml:"name" json:"name"`
	// SlackUser is the Slack member id (U012AB…, W… on Enterprise Grid), not the
	// display name, which anyone can change.
	SlackUser string `yaml:"slack_user" json:"slack_user,omitempty"`
	// Phone is the E.164 number the chain calls them on.
	Phone string `yaml:"phone" json:"phone,omitempty"`
}

var slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

func validateAnalysts(add addProblem, analysts []Analyst) {
	names := map[string]int{}
	for i, a := range analysts {
		field := fmt.Sprintf("analysts[%d]", i)
		switch {
		case a.Name == "":
			add(field+".name", "required: the name decisions are recorded against")
		case !personName.MatchString(a.Name):
			add(field+".name", "%q: want letters, digits and . _ @ + - (at most 64), as in XSOC_CODEC_TOKENS", a.Name)
		default:
			if first, twice := names[strings.ToLower(a.Name)]; twice {
				add(field+".name", "%s appears twice (also analysts[%d])", a.Name, first)
			}
			names[strings.ToLower(a.Name)] = i
		}
		if a.SlackUser != "" && !slackUserID.MatchString(a.SlackUser) {
			add(field+".slack_user", "%q is not a Slack member id (U… or W…, from the user's profile: Copy member ID)", a.SlackUser)
		}
		if a.Phone != "" && !validPhone(a.Phone) {
			add(field+".phone", "%q is not an E.164 phone number (+ and digits)", a.Phone)
		}
	}
}

// validateAnalystsAcross refuses one Slack user or one phone mapped to two people:
// a click or a keypress must name one person.
func validateAnalystsAcross(c *Customers, found *report) {
	type holder struct{ where, name string }
	slackUsers, phones := map[string]holder{}, map[string]holder{}
	check := func(add addProblem, where string, analysts []Analyst) {
		for i, a := range analysts {
			for _, id := range []struct {
				field, value string
				seen         map[string]holder
			}{{"slack_user", a.SlackUser, slackUsers}, {"phone", a.Phone, phones}} {
				if id.value == "" {
					continue
				}
				if other, twice := id.seen[id.value]; twice && !strings.EqualFold(other.name, a.Name) {
					add(fmt.Sprintf("analysts[%d].%s", i, id.field), "%s is also %s's (%s): one %s names one person", id.value, other.name, other.where, id.field)
					continue
				}
				id.seen[id.value] = holder{where: where, name: a.Name}
			}
		}
	}
	if c.SOC != nil {
		check(found.at("soc"), "soc", c.SOC.Analysts)
	}
	for i, cust := range c.Customers {
		check(found.at(fmt.Sprintf("customers[%d]", i)), "customer "+cust.ID, cust.Analysts)
	}
}

// SlackAnalyst answers the person a Slack user is, for an incident of customerID: one
// of the SOC's analysts, or one of the customer's own.
func (c *Customers) SlackAnalyst(customerID, userID string) (Analyst, bool) {
	return c.analyst(customerID, func(a Analyst) bool { return userID != "" && a.SlackUser == userID })
}

// PhoneAnalyst answers the person a phone number is, for an incident of customerID.
func (c *Customers) PhoneAnalyst(customerID, phone string) (Analyst, bool) {
	return c.analyst(customerID, func(a Analyst) bool { return phone != "" && a.Phone == phone })
}

func (c *Customers) analyst(customerID string, is func(Analyst) bool) (Analyst, bool) {
	for _, a := range c.SOCAnalysts() {
		if is(a) {
			return a, true
		}
	}
	if customer, ok := c.Customer(customerID); ok {
		for _, a := range customer.Analysts {
			if is(a) {
				return a, true
			}
		}
	}
	return Analyst{}, false
}

// SlackUsersMapped tells whether any analyst has a Slack user: without one, every
// Slack button is refused.
func (c *Customers) SlackUsersMapped() bool {
	all := slices.Clone(c.SOCAnalysts())
	for _, cust := range c.Customers {
		all = append(all, cust.Analysts...)
	}
	return slices.ContainsFunc(all, func(a Analyst) bool { return a.SlackUser != "" })
}

// SOCAnalysts are soc.analysts, none without a soc: block.
func (c *Customers) SOCAnalysts() []Analyst {
	if c.SOC == nil {
		return nil
	}
	return c.SOC.Analysts
}
