import pytest

from mimo.environment import CLOUDS, Environment, EnvironmentError_


def test_defaults_are_valid():
    env = Environment()
    assert env.cloud is CLOUDS["AzureCloud"]
    assert not env.feature_is_set("DisableSignedCertificates")
    assert env.with_features("DisableSignedCertificates").feature_is_set("DisableSignedCertificates")


def test_from_toml_and_env_override(tmp_path):
    p = tmp_path / "env.toml"
    p.write_text('region = "westeurope"\ndomain_suffix = "westeurope.aroapp.io"\nfeatures = ["A"]\ncloud = "AzureUSGovernment"\n')
    env = Environment.from_toml(p, env={"MIMO_FEATURES": "A,B"})
    assert env.region == "westeurope"
    assert env.features == {"A", "B"}
    assert env.cloud.resource_manager == "https://management.usgovcloudapi.net"


@pytest.mark.parametrize(
    "text, field",
    [
        ('region = "East US"', "region"),
        ('acr_domain = "not a domain"', "acr_domain"),
        ('cluster_keyvault_uri = "http://x"', "cluster_keyvault_uri"),
        ('cluster_msi_keyvault_uri = "https://x"', "cluster_msi_keyvault_uri"),
        ('msi_rp_endpoint = "http://msi.example"', "msi_rp_endpoint"),
        ('cloud = "Mars"', "cloud"),
        ('colour = "blue"', "colour"),
        ("features = [1]", "features"),
        ('rp_subscription_id = "sub-id"', "rp_subscription_id"),
        ('rp_resource_group = "rg/x"', "rp_resource_group"),
        ('gateway_resource_group = "gw."', "gateway_resource_group"),
        ('gateway_domains = ["not a domain"]', "gateway_domains"),
        ("gateway_domains = [7]", "gateway_domains"),
        ('rp_parent_domain_name = "-aro"', "rp_parent_domain_name"),
        ('environment_type = "prod env"', "environment_type"),
    ],
)
def test_bad_fields_named(tmp_path, text, field):
    p = tmp_path / "env.toml"
    p.write_text(text + "\n")
    with pytest.raises(EnvironmentError_) as info:
        Environment.from_toml(p, env={})
    assert repr(field) in str(info.value)
    assert str(p) in str(info.value)


def test_missing_and_malformed_file(tmp_path):
    with pytest.raises(EnvironmentError_, match="not found"):
        Environment.from_toml(tmp_path / "nope.toml", env={})
    p = tmp_path / "bad.toml"
    p.write_text("region = ")
    with pytest.raises(EnvironmentError_, match="not valid TOML"):
        Environment.from_toml(p, env={})


def test_msi_settings(tmp_path):
    # Go env: ClusterMsiKeyVaultName() is <KEYVAULT_PREFIX>-msi; MsiRpEndpoint() is required configuration
    env = Environment()
    assert env.cluster_msi_keyvault_uri == "https://eastus-msi.vault.azure.net/"
    assert env.msi_rp_endpoint == ""
    p = tmp_path / "env.toml"
    p.write_text('msi_rp_endpoint = "https://msi.example"\n')
    assert Environment.from_toml(p, env={"MIMO_CLUSTER_MSI_KEYVAULT_URI": "https://westus-msi.vault.azure.net/"}) == (
        Environment(msi_rp_endpoint="https://msi.example", cluster_msi_keyvault_uri="https://westus-msi.vault.azure.net/"))


def test_rp_fields_from_toml_and_variables(tmp_path):
    """The RP-side values of the ARO operator's Cluster object (Go deploy.clusterObject): Go's
    env.SubscriptionID()/ResourceGroup() (instance metadata), GATEWAY_RESOURCEGROUP, GATEWAY_DOMAINS
    (comma list), RP_PARENT_DOMAIN_NAME (lower-cased, pkg/env/prod.go), ENVIRONMENT."""
    p = tmp_path / "env.toml"
    p.write_text('rp_subscription_id = "5b1e6a3c-8d2f-4a7b-9c0e-1f2a3b4c5d6e"\nrp_resource_group = "rp-eastus"\n'
                 'rp_parent_domain_name = "ARO.Azure.com"\n')
    env = Environment.from_toml(p, env={"MIMO_GATEWAY_DOMAINS": "a.example.com,b.example.com",
                                        "MIMO_GATEWAY_RESOURCE_GROUP": "gwy-eastus", "MIMO_ENVIRONMENT_TYPE": "prod"})
    assert (env.rp_subscription_id, env.rp_resource_group, env.gateway_resource_group) == (
        "5b1e6a3c-8d2f-4a7b-9c0e-1f2a3b4c5d6e", "rp-eastus", "gwy-eastus")
    assert (env.gateway_domains, env.rp_parent_domain_name, env.environment_type) == (
        ("a.example.com", "b.example.com"), "aro.azure.com", "prod")
    # none is made up: unset fields stay empty
    assert (Environment().rp_subscription_id, Environment().gateway_domains, Environment().environment_type) == ("", (), "")
