# Terraform CLI configuration for offline use: providers come only from a local mirror.
# deploy/ci/platform-checks.sh renders this file with envsubst-style replacement of
# ${TF_PLUGIN_MIRROR} (default /opt/tf-plugins) and points TF_CLI_CONFIG_FILE at the result, so
# no path is hard-coded and nothing reaches the public registry.
provider_installation {
  filesystem_mirror {
    path    = "${TF_PLUGIN_MIRROR}"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
