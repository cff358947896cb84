mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name = "folio-test"
}

run "rules" {
  assert {
    condition     = aws_wafv2_web_acl.this.scope == "CLOUDFRONT"
    error_message = "The ACL is for CloudFront."
  }
  assert {
    condition     = one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].rate_based_statement[0].limit if r.name == "signin-rate-limit"]) == 100
    error_message = "Sign-in POSTs are rate limited."
  }
  assert {
    condition     = one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].rate_based_statement[0].scope_down_statement[0].and_statement[0].statement[0].byte_match_statement[0].search_string if r.name == "signin-rate-limit"]) == "/signin/"
    error_message = "The sign-in limit applies to /signin/."
  }
  assert {
    condition     = length([for r in aws_wafv2_web_acl.this.rule : r if length(r.statement[0].managed_rule_group_statement) > 0]) == 3
    error_message = "Three AWS managed rule groups."
  }
  assert {
    condition     = startswith(aws_cloudwatch_log_group.this.name, "aws-waf-logs-")
    error_message = "WAF logs go to a group WAF accepts."
  }
}

# Issue 13: the core rule set's SizeRestrictions_BODY blocked every body over 8 KB (image
# uploads, long notes, SES notifications). It only counts now; the app's limits per path are
# enforced on the declared length after it.
run "body_size_limits" {
  assert {
    condition = anytrue([for r in aws_wafv2_web_acl.this.rule : anytrue([
      for o in r.statement[0].managed_rule_group_statement[0].rule_action_override :
      o.name == "SizeRestrictions_BODY" && length(o.action_to_use[0].count) == 1 && length(o.action_to_use[0].block) == 0
    ]) if r.name == "AWSManagedRulesCommonRuleSet"])
    error_message = "SizeRestrictions_BODY of the core rule set counts instead of blocking."
  }
  assert {
    condition = alltrue([for r in aws_wafv2_web_acl.this.rule :
      r.priority > one([for c in aws_wafv2_web_acl.this.rule : c.priority if c.name == "AWSManagedRulesCommonRuleSet"])
      && r.action[0].block[0].custom_response[0].response_code == 413
      && contains(flatten([for s in r.statement[0].and_statement[0].statement : [for l in s.label_match_statement : l.key]]), "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body")
    if startswith(r.name, "body-size-")]) && length([for r in aws_wafv2_web_acl.this.rule : r if startswith(r.name, "body-size-")]) == 3
    error_message = "Three body-size rules run after the core rule set, on its SizeRestrictions_Body label, and answer 413."
  }
  # The limit is a regular expression on Content-Length: check it as a number comparison.
  assert {
    condition = alltrue(flatten([for r in aws_wafv2_web_acl.this.rule : [
      for s in r.statement[0].and_statement[0].statement : [
        for c in [
          { name = "body-size-upload-form", value = "17825793", over = true },
          { name = "body-size-upload-form", value = "17825792", over = false },
          { name = "body-size-upload-form", value = "16777216", over = false },
          { name = "body-size-upload-form", value = "100000000", over = true },
          { name = "body-size-ses-hook", value = "1048577", over = true },
          { name = "body-size-ses-hook", value = "1048576", over = false },
          { name = "body-size-ses-hook", value = "999999", over = false },
          { name = "body-size-other", value = "4194305", over = true },
          { name = "body-size-other", value = "4194304", over = false },
          { name = "body-size-other", value = "0004194305", over = true },
          { name = "body-size-other", value = "300000", over = false },
          { name = "body-size-other", value = "9999999", over = true },
        ] : can(regex(s.regex_match_statement[0].regex_string, c.value)) == c.over if c.name == r.name
      ] if try(s.regex_match_statement[0].field_to_match[0].single_header[0].name, "") == "content-length"
    ] if startswith(r.name, "body-size-")]))
    error_message = "Uploads may declare 17 MiB, the SES hook 1 MiB, everything else 4 MiB (and not a byte more)."
  }
  assert {
    condition = alltrue([for r in aws_wafv2_web_acl.this.rule :
      length([for s in r.statement[0].and_statement[0].statement : s if length(s.regex_match_statement) > 0]) == 1
    if startswith(r.name, "body-size-")])
    error_message = "Each body-size rule compares exactly one Content-Length."
  }
  # Which rule applies depends on the labels of the classifying rules, which must run first.
  assert {
    condition = alltrue([for l in ["folio:upload-form", "folio:ses-hook", "folio:authoring"] :
      one([for r in aws_wafv2_web_acl.this.rule : r.priority if contains([for x in r.rule_label : x.name], l) && try(length(r.action[0].count), 0) == 1])
      < one([for r in aws_wafv2_web_acl.this.rule : r.priority if r.name == "AWSManagedRulesCommonRuleSet"])
    ])
    error_message = "The upload-form, ses-hook and authoring labels come from counting rules before the core rule set."
  }
  assert {
    condition = (
      one([for r in aws_wafv2_web_acl.this.rule : flatten([for s in r.statement[0].and_statement[0].statement : [for l in s.label_match_statement : l.key if !startswith(l.key, "awswaf:")]]) if r.name == "body-size-upload-form"]) == ["folio:upload-form"]
      && one([for r in aws_wafv2_web_acl.this.rule : flatten([for s in r.statement[0].and_statement[0].statement : [for l in s.label_match_statement : l.key if !startswith(l.key, "awswaf:")]]) if r.name == "body-size-ses-hook"]) == ["folio:ses-hook"]
      && toset(one([for r in aws_wafv2_web_acl.this.rule : [for s in r.statement[0].and_statement[0].statement : s.not_statement[0].statement[0].label_match_statement[0].key if length(s.not_statement) > 0] if r.name == "body-size-other"])) == toset(["folio:upload-form", "folio:ses-hook"])
    )
    error_message = "17 MiB only for image forms, 1 MiB for the SES hook, 4 MiB for everything that is neither."
  }
  assert {
    condition = (
      one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].byte_match_statement[0].search_string == "/hooks/ses" && r.statement[0].byte_match_statement[0].positional_constraint == "EXACTLY" if r.name == "classify-ses-hook"])
      && toset(one([for r in aws_wafv2_web_acl.this.rule : flatten([for s in r.statement[0].and_statement[0].statement : [for o in s.or_statement : [for b in o.statement : b.byte_match_statement[0].search_string]]]) if r.name == "classify-upload-form"])) == toset(["/admin/items/", "/admin/categories/"])
      && toset(one([for r in aws_wafv2_web_acl.this.rule : [for s in r.statement[0].and_statement[0].statement : s.byte_match_statement[0].search_string if length(s.byte_match_statement) > 0] if r.name == "classify-upload-form"])) == toset(["POST", "multipart/form-data"])
    )
    error_message = "An upload form is a multipart POST under /admin/items/ or /admin/categories/; the SES hook is exactly /hooks/ses."
  }
}

# The content rules of the core rule set that misfire on authors' text and SNS JSON count in the
# group and block again everywhere else.
run "body_content_rules" {
  assert {
    condition = toset(flatten([for r in aws_wafv2_web_acl.this.rule : [
      for o in r.statement[0].managed_rule_group_statement[0].rule_action_override : o.name if length(o.action_to_use[0].count) == 1
    ] if r.name == "AWSManagedRulesCommonRuleSet"])) == toset(["SizeRestrictions_BODY", "CrossSiteScripting_BODY", "GenericLFI_BODY", "GenericRFI_BODY"])
    error_message = "Only the size rule and the XSS, LFI and RFI body rules of the core rule set are set to count."
  }
  assert {
    condition = one([for r in aws_wafv2_web_acl.this.rule :
      length(r.action[0].block) == 1
      && r.priority > one([for c in aws_wafv2_web_acl.this.rule : c.priority if c.name == "AWSManagedRulesCommonRuleSet"])
      && toset(flatten([for s in r.statement[0].and_statement[0].statement : [for o in s.or_statement : [for l in o.statement : l.label_match_statement[0].key]]])) == toset([
        "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body",
        "awswaf:managed:aws:core-rule-set:GenericLFI_Body",
        "awswaf:managed:aws:core-rule-set:GenericRFI_Body",
      ])
      && toset([for s in r.statement[0].and_statement[0].statement : s.not_statement[0].statement[0].label_match_statement[0].key if length(s.not_statement) > 0]) == toset(["folio:authoring", "folio:ses-hook"])
    if r.name == "body-content-outside-authoring"])
    error_message = "XSS, LFI and RFI findings in a body still block, except in authors' forms and the SES hook."
  }
  assert {
    condition     = toset(one([for r in aws_wafv2_web_acl.this.rule : flatten([for s in r.statement[0].and_statement[0].statement : [for o in s.or_statement : [for b in o.statement : b.byte_match_statement[0].search_string]]]) if r.name == "classify-authoring"])) == toset(["/notes/", "/admin/items/", "/admin/categories/"])
    error_message = "Authoring means a POST under /notes/, /admin/items/ or /admin/categories/."
  }
}
