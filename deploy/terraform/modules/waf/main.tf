# WAF for CloudFront (so this module's provider must be in us-east-1): AWS managed rule groups
# for common exploits, known bad inputs (Log4Shell among them) and IP reputation, a rate limit
# on sign-in attempts, and a coarse per-IP rate limit. The app has its own sign-in throttling;
# this stops floods before they cost anything. KnownBadInputs covers Log4Shell (CVE-2021-44228).
#
# Request bodies. The core rule set's SizeRestrictions_BODY blocks every body over 8 KB, which
# broke image uploads, long notes and SES notifications; it only counts (and labels) here, and
# the body-size-* rules below enforce the app's own limits per path instead. WAF cannot measure
# a body beyond its inspection limit (16 KB by default on CloudFront, 64 KB at most): a
# size_constraint_statement on the body sees at most that many bytes, so "body > 4 MiB" would
# never match with oversize_handling = CONTINUE or NO_MATCH and would match every body over
# 16 KB with MATCH (the bug again). What WAF does see in full is the declared length, the
# Content-Length header, so the limits compare that number (a regular expression, since WAF
# has no numeric comparison of header values). A body sent without Content-Length (chunked)
# passes the edge and is cut off by the app, which enforces the same limits while streaming
# (RequestBodyLimitLayer; the SNS verifier for /hooks/ses); these rules only spare the origin
# the obviously oversized requests, with 413 rather than a misleading 403.

locals {
  # The app's limits (crates/folio-web: MAX_UPLOAD_BODY_BYTES, MAX_BODY_BYTES, sns::MAX_BODY_BYTES).
  body_size_rules = {
    upload-form = {
      priority = 21
      limit    = var.body_limits.upload
      require  = ["folio:upload-form"]
      exclude  = []
    }
    ses-hook = {
      priority = 22
      limit    = var.body_limits.ses_hook
      require  = ["folio:ses-hook"]
      exclude  = []
    }
    other = {
      priority = 23
      limit    = var.body_limits.default
      require  = []
      exclude  = ["folio:upload-form", "folio:ses-hook"]
    }
  }

  # "Content-Length is a decimal number greater than N" as a regular expression WAF accepts (no
  # capturing groups, few branches): more digits than N, or as many digits with a larger digit
  # where they first differ. 17825792 gives ^0*[1-9][0-9]{8,}$|^0*[2-9][0-9]{7}$|^0*1[8-9][0-9]{6}$|...
  content_length_over = {
    for k, r in local.body_size_rules : k => join("|", concat(
      ["^0*[1-9][0-9]{${length(tostring(r.limit))},}$"],
      [
        for i in range(length(tostring(r.limit))) : format(
          "^0*%s[%d-9]%s$",
          substr(tostring(r.limit), 0, i),
          tonumber(substr(tostring(r.limit), i, 1)) + 1,
          length(tostring(r.limit)) - i - 1 > 0 ? "[0-9]{${length(tostring(r.limit)) - i - 1}}" : "",
        ) if substr(tostring(r.limit), i, 1) != "9"
      ],
    ))
  }

  # Core rule set rules that inspect the body's content and misfire on what Folio's own forms
  # legitimately carry; they only count in the rule group, and rule 24 re-applies them (block)
  # everywhere except those forms:
  # - CrossSiteScripting_BODY: note text and the Markdown of item and category bodies may hold
  #   HTML or code samples ("<script>" in a note about JavaScript); image uploads are binary.
  # - GenericLFI_BODY: Markdown links such as "../other-item/" and notes with shell paths.
  # - GenericRFI_BODY: notes with URLs such as http://192.168.1.1/ (a router's admin page).
  # Those forms need a signed-in user (staff for /admin/) and a CSRF token, and the app never
  # trusts the text: Markdown goes through ammonia's allow-list, templates escape, and the CSP
  # allows only the site's own scripts. /hooks/ses carries SNS JSON that quotes bounce
  # diagnostics and headers written by third-party mail servers; a false positive there would
  # silently drop a bounce (SNS gives up after its retries), and the app verifies each message's
  # SNS signature before reading it. Every other body-inspecting rule of the group (e.g.
  # EC2MetaDataSSRF_BODY) still blocks everywhere.
  content_rules = {
    CrossSiteScripting_BODY = "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body"
    GenericLFI_BODY         = "awswaf:managed:aws:core-rule-set:GenericLFI_Body"
    GenericRFI_BODY         = "awswaf:managed:aws:core-rule-set:GenericRFI_Body"
  }
  size_rule_label = "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"
  # Paths (POST) whose bodies are the authors' own text: notes, items, categories.
  authoring_prefixes = ["/notes/", "/admin/items/", "/admin/categories/"]
  # Forms that carry an image (multipart POST); the app gives them the upload limit.
  upload_prefixes = ["/admin/items/", "/admin/categories/"]
}

resource "aws_wafv2_web_acl" "this" {
  name        = var.name
  description = "Folio ${var.name}: managed rules and rate limits"
  scope       = "CLOUDFRONT"

  default_action {
    allow {}
  }

  rule {
    name     = "AWSManagedRulesAmazonIpReputationList"
    priority = 10
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAmazonIpReputationList"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "AWSManagedRulesAmazonIpReputationList"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "AWSManagedRulesCommonRuleSet"
    priority = 20
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
        # Count (and label) instead of block; rules 21 to 24 decide with the labels.
        dynamic "rule_action_override" {
          for_each = concat(["SizeRestrictions_BODY"], keys(local.content_rules))
          content {
            name = rule_action_override.value
            action_to_use {
              count {}
            }
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "AWSManagedRulesCommonRuleSet"
      sampled_requests_enabled   = true
    }
  }

  # --- request classes (count + label only; rules further down match the labels) -------------

  # A form with an image: multipart POST under /admin/items/ or /admin/categories/.
  rule {
    name     = "classify-upload-form"
    priority = 3
    action {
      count {}
    }
    rule_label {
      name = "folio:upload-form"
    }
    statement {
      and_statement {
        statement {
          byte_match_statement {
            search_string         = "POST"
            positional_constraint = "EXACTLY"
            field_to_match {
              method {}
            }
            text_transformation {
              priority = 0
              type     = "NONE"
            }
          }
        }
        statement {
          byte_match_statement {
            search_string         = "multipart/form-data"
            positional_constraint = "STARTS_WITH"
            field_to_match {
              single_header {
                name = "content-type"
              }
            }
            text_transformation {
              priority = 0
              type     = "LOWERCASE"
            }
          }
        }
        statement {
          or_statement {
            dynamic "statement" {
              for_each = local.upload_prefixes
              content {
                byte_match_statement {
                  search_string         = statement.value
                  positional_constraint = "STARTS_WITH"
                  field_to_match {
                    uri_path {}
                  }
                  text_transformation {
                    priority = 0
                    type     = "NONE"
                  }
                }
              }
            }
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "classify-upload-form"
      sampled_requests_enabled   = false
    }
  }

  # SNS delivering SES bounces and complaints.
  rule {
    name     = "classify-ses-hook"
    priority = 4
    action {
      count {}
    }
    rule_label {
      name = "folio:ses-hook"
    }
    statement {
      byte_match_statement {
        search_string         = "/hooks/ses"
        positional_constraint = "EXACTLY"
        field_to_match {
          uri_path {}
        }
        text_transformation {
          priority = 0
          type     = "NONE"
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "classify-ses-hook"
      sampled_requests_enabled   = false
    }
  }

  # A signed-in author saving text: POST under /notes/, /admin/items/ or /admin/categories/.
  rule {
    name     = "classify-authoring"
    priority = 5
    action {
      count {}
    }
    rule_label {
      name = "folio:authoring"
    }
    statement {
      and_statement {
        statement {
          byte_match_statement {
            search_string         = "POST"
            positional_constraint = "EXACTLY"
            field_to_match {
              method {}
            }
            text_transformation {
              priority = 0
              type     = "NONE"
            }
          }
        }
        statement {
          or_statement {
            dynamic "statement" {
              for_each = local.authoring_prefixes
              content {
                byte_match_statement {
                  search_string         = statement.value
                  positional_constraint = "STARTS_WITH"
                  field_to_match {
                    uri_path {}
                  }
                  text_transformation {
                    priority = 0
                    type     = "NONE"
                  }
                }
              }
            }
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "classify-authoring"
      sampled_requests_enabled   = false
    }
  }

  # --- the app's body limits (after the core rule set, whose label they need) ---------------

  # Blocks with 413 a body over 8 KB (SizeRestrictions_Body label) whose declared length is over
  # the limit of its class (see the comment at the top of this file for why Content-Length).
  dynamic "rule" {
    for_each = local.body_size_rules
    content {
      name     = "body-size-${rule.key}"
      priority = rule.value.priority
      action {
        block {
          custom_response {
            response_code = 413
          }
        }
      }
      statement {
        and_statement {
          statement {
            label_match_statement {
              scope = "LABEL"
              key   = local.size_rule_label
            }
          }
          dynamic "statement" {
            for_each = rule.value.require
            content {
              label_match_statement {
                scope = "LABEL"
                key   = statement.value
              }
            }
          }
          dynamic "statement" {
            for_each = rule.value.exclude
            content {
              not_statement {
                statement {
                  label_match_statement {
                    scope = "LABEL"
                    key   = statement.value
                  }
                }
              }
            }
          }
          statement {
            regex_match_statement {
              regex_string = local.content_length_over[rule.key]
              field_to_match {
                single_header {
                  name = "content-length"
                }
              }
              text_transformation {
                priority = 0
                type     = "NONE"
              }
            }
          }
        }
      }
      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "body-size-${rule.key}"
        sampled_requests_enabled   = true
      }
    }
  }

  # The core rule set's content rules that only count (local.content_rules) block again
  # everywhere but in the authors' own forms and the SES hook.
  rule {
    name     = "body-content-outside-authoring"
    priority = 24
    action {
      block {}
    }
    statement {
      and_statement {
        statement {
          or_statement {
            dynamic "statement" {
              for_each = local.content_rules
              content {
                label_match_statement {
                  scope = "LABEL"
                  key   = statement.value
                }
              }
            }
          }
        }
        dynamic "statement" {
          for_each = ["folio:authoring", "folio:ses-hook"]
          content {
            not_statement {
              statement {
                label_match_statement {
                  scope = "LABEL"
                  key   = statement.value
                }
              }
            }
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "body-content-outside-authoring"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "AWSManagedRulesKnownBadInputsRuleSet"
    priority = 30
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "AWSManagedRulesKnownBadInputsRuleSet"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "signin-rate-limit"
    priority = 1
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = var.signin_rate_limit
        aggregate_key_type = "IP"
        scope_down_statement {
          and_statement {
            statement {
              byte_match_statement {
                search_string         = "/signin/"
                positional_constraint = "STARTS_WITH"
                field_to_match {
                  uri_path {}
                }
                text_transformation {
                  priority = 0
                  type     = "LOWERCASE"
                }
              }
            }
            statement {
              byte_match_statement {
                search_string         = "POST"
                positional_constraint = "EXACTLY"
                field_to_match {
                  method {}
                }
                text_transformation {
                  priority = 0
                  type     = "NONE"
                }
              }
            }
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "signin-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "global-rate-limit"
    priority = 2
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = var.global_rate_limit
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "global-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }
  tags = var.tags
}

# WAF requires its log group's name to start with aws-waf-logs-.
resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_338:WAF logs serve investigations of recent attacks; 30 days by default, longer by variable.
  # checkov:skip=CKV_AWS_158:WAF log delivery to a KMS-encrypted group would need a us-east-1 key only for these logs; they hold request metadata, not user data.
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.this.arn]
  # Cookies and the Authorization header never reach the logs.
  redacted_fields {
    single_header {
      name = "cookie"
    }
  }
  redacted_fields {
    single_header {
      name = "authorization"
    }
  }
}
