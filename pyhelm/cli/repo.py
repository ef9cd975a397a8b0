"""``pyhelm repo add|list|update|remove|index|serve``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from pyhelm.action import repo
from pyhelm.cli.common import dump, output_option
from pyhelm.cli.globals import repo_paths
from pyhelm.cli.output import seconds
from pyhelm.cli.pflag import with_aliases
from pyhelm.repo import client
from pyhelm.repo.client import RepoEntry

# Helm's --timeout of repo add and update: how long one index download may take
timeout_option_index = click.option("--timeout", default="2m0s", show_default=True,
                                    help="Time to wait for the index file download.")


@click.group("repo")
def repo_command() -> None:
    """Add, list, update and remove chart repositories; index and serve one."""


@repo_command.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--username", default="", help="Repository username.")
@click.option("--password", default="", help="Repository password.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option("--ca-file", default="", help="CA bundle to verify the server.")
@click.option("--cert-file", default="", help="Client certificate.")
@click.option("--key-file", default="", help="Client key.")
@click.option("--insecure-skip-tls-verify", is_flag=True, help="Skip TLS verification.")
@click.option("--pass-credentials", is_flag=True,
              help="Send the credentials to every host (default: the repository's only).")
@click.option("--force-update", is_flag=True, help="Replace an existing repository.")
@click.option("--allow-deprecated-repos", is_flag=True,
              help="Allow adding the official repositories that were permanently deleted.")
@timeout_option_index
def add_command(name: str, url: str, username: str, password: str, password_stdin: bool,
                ca_file: str, cert_file: str, key_file: str, insecure_skip_tls_verify: bool,
                pass_credentials: bool, force_update: bool,
                allow_deprecated_repos: bool, timeout: str) -> None:
    """Add a chart repository."""
    if not allow_deprecated_repos:
        repo.refuse_deleted_repository(url)
    if password_stdin:
        password = sys.stdin.read().strip()
    repo.add_repository(RepoEntry(name, url, username, password, ca_file, cert_file, key_file,
                                  insecure_skip_tls_verify, pass_credentials),
                        force_update=force_update, paths=repo_paths(),
                        timeout=seconds(timeout))
    click.echo(f'"{name}" has been added to your repositories')


@repo_command.command("list")
@click.option("--no-headers", is_flag=True, help="Suppress headers in the output.")
@output_option()
def list_command(no_headers: bool, output: str) -> None:
    """List chart repositories."""
    entries = repo.list_repositories(repo_paths())
    if output != "table":
        click.echo(dump([{"name": e.name, "url": e.shown_url} for e in entries], output))
        return
    if not entries:  # Helm: a message on stderr, and success
        click.echo("no repositories to show", err=True)
        return
    from pyhelm.cli.output import table

    click.echo(table(None if no_headers else ["NAME", "URL"],
                     [[e.name, e.shown_url] for e in entries]))


@repo_command.command("update")
@click.argument("names", nargs=-1)
@timeout_option_index
def update_command(names: tuple[str, ...], timeout: str) -> None:
    """Refresh the cached indexes of chart repositories."""
    failed = print_repository_updates(names, seconds(timeout))
    if failed:
        raise click.ClickException(
            f"failed to update the following repositories: [{' '.join(failed)}]")
    click.echo("Update Complete. ⎈Happy Helming!⎈")


def print_repository_updates(names: tuple[str, ...] = (),
                             timeout: float = client.TIMEOUT_SECONDS) -> list[str]:
    """Refresh the repositories' indexes, printing Helm's line for each (repo update's,
    and dependency build/update's before they resolve); returns the URLs that failed."""
    click.echo("Hang tight while we grab the latest from your chart repositories...")
    failed = []
    for outcome in repo.update_repositories(names, repo_paths(), timeout):
        name, url = outcome.entry.name, outcome.entry.shown_url
        if outcome.error is None:
            click.echo(f'...Successfully got an update from the "{name}" chart repository')
        else:
            click.echo(f'...Unable to get an update from the "{name}" chart repository '
                       f"({url}):\n\t{outcome.error}")
            failed.append(url)
    return failed


@repo_command.command("remove")
@click.argument("names", nargs=-1, required=True)
def remove_command(names: tuple[str, ...]) -> None:
    """Remove chart repositories."""
    for name in names:
        repo.remove_repository(name, repo_paths())
        click.echo(f'"{name}" has been removed from your repositories')


@repo_command.command("index")
@click.argument("directory")
@click.option("--url", default="", help="URL of the repository (prefix of package URLs).")
@click.option("--merge", default=None, help="Merge this index into the new one.")
@click.option("--json", "as_json", is_flag=True, help="Output in JSON format.")
def index_command(directory: str, url: str, merge: str | None, as_json: bool) -> None:
    """Generate index.yaml for a directory of packaged charts."""
    repo.index_directory(repo.IndexOptions(directory=directory, url=url, merge=merge,
                                           as_json=as_json))


@repo_command.command("serve")
@click.argument("directory", required=False,
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--storage", default="",
              help="Storage URL instead of DIRECTORY: file://DIR or s3://BUCKET/PREFIX "
                   "(endpoint: ?endpoint=URL or PYHELM_S3_ENDPOINT).")
@click.option("--address", default="127.0.0.1:8879", show_default=True,
              help="HOST:PORT to listen on.")
@click.option("--url", default="", help="Public URL of the repository for the index.")
@click.option("--enable-upload", is_flag=True, help="Accept POST /api/charts uploads.")
@click.option("--username", default=None, help="Username for uploads (basic auth).")
@click.option("--password-env", default="PYHELM_REPO_PASSWORD", show_default=True,
              help="Environment variable holding the upload password.")
@click.option("--token-env", default="PYHELM_REPO_TOKEN", show_default=True,
              help="Environment variable holding a bearer token for uploads.")
@click.option("--auth-reads", is_flag=True, help="Require the credential for reads too.")
@click.option("--allow-overwrite", is_flag=True, help="Let uploads replace a version.")
@click.option("--max-upload-size", default=100 * 1024 * 1024, show_default=True,
              type=click.IntRange(min=1), help="Largest accepted upload, in bytes.")
@click.option("--index-ttl", default=1.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds between checks of the storage for other replicas' changes.")
@click.option("--tenants-file", default=None, type=click.Path(dir_okay=False),
              help="YAML naming tenants (/TENANT/index.yaml, /api/TENANT/charts), each "
                   "stored under STORAGE/TENANT with its own credentials.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Server processes.")
@click.option("--tls-cert", default=None, help="TLS certificate (PEM).")
@click.option("--tls-key", default=None, help="TLS key (PEM).")
@click.option("--require-signature", is_flag=True,
              help="Store only uploads whose .prov verifies against --keyring.")
@click.option("--keyring", default="", help="Public keys uploads must be signed with "
              "(default: ~/.gnupg/pubring.gpg).")
def serve_command(directory: Path | None, storage: str, address: str, url: str,
                  enable_upload: bool, username: str | None, password_env: str,
                  token_env: str, auth_reads: bool, allow_overwrite: bool,
                  max_upload_size: int, index_ttl: float, tenants_file: str | None,
                  workers: int, tls_cert: str | None, tls_key: str | None,
                  require_signature: bool, keyring: str) -> None:
    """Serve a directory or bucket as a chart repository over HTTP (ChartMuseum's API)."""
    from pyhelm.repo.server import ServerSettings, load_tenants, serve

    if (directory is None) == (not storage):
        raise click.UsageError("give a DIRECTORY or --storage URL (one of them)")
    host, _, port = address.rpartition(":")
    if require_signature:  # a keyring that does not load stops the server at start
        from pyhelm.repo.provenance import default_keyring, load_keyring

        keyring = keyring or str(default_keyring())
        load_keyring(Path(keyring))
    settings = ServerSettings(
        directory=directory, storage=storage, address=host.strip("[]") or "127.0.0.1",
        port=int(port), url=url, enable_upload=enable_upload, username=username,
        password=os.environ.get(password_env), token=os.environ.get(token_env),
        auth_reads=auth_reads, allow_overwrite=allow_overwrite,
        tenants=load_tenants(tenants_file) if tenants_file else None,
        max_upload_bytes=max_upload_size, index_ttl=index_ttl, workers=workers,
        tls_cert=tls_cert, tls_key=tls_key,
        verify_keyring=keyring if require_signature else "")
    scheme = "https" if tls_cert else "http"
    click.echo(f"Serving {storage or directory} at {scheme}://{settings.address}:"
               f"{settings.port}/", err=True)
    serve(settings)


with_aliases(repo_command, {"ls": "list", "rm": "remove", "up": "update"})  # Helm's
