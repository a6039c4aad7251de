"""Endpoint resolution (pure) and the import boundary of `reconciler.graph`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reconciler.errors import ConfigError
from reconciler.graph.connection import Overrides, is_public_authority, resolve_endpoints

from .conftest import connection


@pytest.mark.parametrize(
    ("cloud", "graph", "authority"),
    [
        ("global", "https://graph.microsoft.com", "https://login.microsoftonline.com"),
        ("usgov", "https://graph.microsoft.us", "https://login.microsoftonline.us"),
        ("china", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
    ],
)
def test_cloud_defaults(cloud, graph, authority):
    assert resolve_endpoints(connection(cloud=cloud), Overrides()) == (graph, authority)


def test_cloud_defaults_match_the_sdks_own_tables():
    from azure.identity import AzureAuthorityHosts
    from msgraph_core import NationalClouds

    assert resolve_endpoints(connection(cloud="usgov"), Overrides()) == (
        NationalClouds.US_GOV.value, f"https://{AzureAuthorityHosts.AZURE_GOVERNMENT}")
    assert resolve_endpoints(connection(cloud="china"), Overrides()) == (
        NationalClouds.China.value, f"https://{AzureAuthorityHosts.AZURE_CHINA}")


def test_precedence_flag_over_env_over_tenant_over_cloud():
    conn = connection(graph_url="https://tenant-graph.example", authority="https://tenant-login.example")
    env = {"CROSSTENANT_GRAPH_URL": "https://env-graph.example", "CROSSTENANT_AUTHORITY": "https://env-login.example",
           "CROSSTENANT_CA_BUNDLE": "/env/ca.pem"}
    assert resolve_endpoints(conn, Overrides()) == ("https://tenant-graph.example", "https://tenant-login.example")
    from_env = Overrides.from_env(env)
    assert from_env == Overrides("https://env-graph.example", "https://env-login.example", "/env/ca.pem")
    assert resolve_endpoints(conn, from_env) == ("https://env-graph.example", "https://env-login.example")
    flagged = Overrides.from_env(env, graph_url="https://flag-graph.example", authority=None, ca_bundle="/flag.pem")
    assert flagged == Overrides("https://flag-graph.example", "https://env-login.example", "/flag.pem")


def test_empty_environment_values_count_as_unset():
    assert Overrides.from_env({"CROSSTENANT_GRAPH_URL": "", "CROSSTENANT_AUTHORITY": ""}) == Overrides()
    with pytest.raises(TypeError):
        Overrides.from_env({}, graph=None)


def test_urls_are_normalised():
    conn = connection(graph_url="https://127.0.0.1:8443/v1.0/", authority="https://127.0.0.1:8443/")
    assert resolve_endpoints(conn, Overrides()) == ("https://127.0.0.1:8443", "https://127.0.0.1:8443")


@pytest.mark.parametrize(
    ("fields", "overrides", "message"),
    [
        ({"graph_url": "http://graph.example"}, Overrides(), "tenants.contoso.graph_url"),
        ({}, Overrides(graph_url="ftp://x"), "CROSSTENANT_GRAPH_URL"),
        ({"authority": "http://127.0.0.1:8443"}, Overrides(), "must use https"),
        ({"cloud": "germany"}, Overrides(), "unknown cloud 'germany'"),
        ({"graph_url": "https://g.example/?x=1"}, Overrides(), "query"),
    ],
)
def test_invalid_endpoints_are_config_errors(fields, overrides, message):
    with pytest.raises(ConfigError, match=message):
        resolve_endpoints(connection(**fields), overrides)


def test_plain_http_is_accepted_only_for_a_loopback_graph():
    assert resolve_endpoints(connection(graph_url="http://localhost:8080"), Overrides())[0] == "http://localhost:8080"


def test_public_authorities():
    assert is_public_authority("https://login.microsoftonline.com")
    assert is_public_authority("https://login.chinacloudapi.cn")
    assert not is_public_authority("https://127.0.0.1:8443")


@pytest.mark.parametrize("module", ["reconciler.graph.connection", "reconciler.graph.gateway",
                                    "reconciler.graph.redact"])
def test_importing_graph_modules_loads_no_sdk(module):
    code = (
        f"import sys, {module}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'msgraph', 'msgraph_core', 'kiota_abstractions', 'kiota_http', 'kiota_authentication_azure', 'azure', 'msal'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_authority_with_a_path_is_refused():
    with pytest.raises(ConfigError, match="the tenant is added per request"):
        resolve_endpoints(connection(authority=f"https://login.microsoftonline.com/{'a' * 8}"), Overrides())
