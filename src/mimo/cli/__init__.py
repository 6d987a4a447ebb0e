"""The ``mimo`` command line: the admin surface over the store.

Global options: ``--store PATH`` (default ``./mimo.db``, or ``MIMO_STORE``;
a ``postgresql://…`` URL for a database shared by many hosts; ``:memory:``
for a throw-away store) and ``--env FILE`` (the Environment TOML;
default from ``MIMO_*`` variables). Task plugins: the ``mimo`` entry-point
group, plus the modules named in ``MIMO_PLUGINS`` (comma-separated, imported
from ``sys.path`` and then the current directory) for plugins that are not installed.

Bad input is refused with one line on stderr (``mimo: error: …``), exit code
2, and nothing written; every value from outside goes through
:mod:`mimo.inputs` first. Commands that only read never create a store.
Secrets are never printed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from mimo.cli.clusters import clusters, selectors_cmd
from mimo.cli.common import DEFAULT_STORE, STORE_ENV, Settings, check_args, fail
from mimo.cli.info import env_cmd, tasks_cmd
from mimo.cli.manifests import manifests
from mimo.cli.schedules import schedules
from mimo.cli.serve import serve_cmd
from mimo.cli.workers import actuator_cmd, scheduler_cmd

__all__ = ["main", "cli", "fail", "PLUGIN_GROUP"]

#: the entry-point group whose entries are click commands added to ``mimo`` (``mimo simulate`` is one)
PLUGIN_GROUP = "mimo.cli"


class MimoGroup(click.Group):
    """The ``mimo`` group: every argument is checked as text before click parses it, and an
    :class:`~mimo.inputs.InputError` (or a document/environment error) raised by any command
    becomes one ``mimo: error:`` line with exit code 2.

    Commands from other packages: each entry point of the ``mimo.cli`` group names a
    click command, added under the entry point's name and loaded only when that command
    runs or is listed. A built-in command of the same name wins; an entry point that
    does not load, or is not a click command, is one ``mimo: error:`` line naming it.
    """

    def _plugins(self) -> dict[str, Any]:
        from importlib.metadata import entry_points

        found = {ep.name: ep for ep in entry_points(group=PLUGIN_GROUP)}
        return {name: ep for name, ep in found.items() if name not in self.commands}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        builtin = super().get_command(ctx, cmd_name)
        if builtin is not None:
            return builtin
        ep = self._plugins().get(cmd_name)
        if ep is None:
            return None
        try:
            command = ep.load()
        except Exception as e:
            fail(f"command {cmd_name!r} (entry point {ep.value} of {PLUGIN_GROUP}) did not load: "
                 f"{type(e).__name__}: {e}")
        if not isinstance(command, click.Command):
            fail(f"command {cmd_name!r} (entry point {ep.value} of {PLUGIN_GROUP}) is not a click command")
        return command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from mimo.inputs import InputError

        try:
            check_args(args)
        except InputError as e:
            fail(str(e))
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        from mimo.api import DocumentError
        from mimo.environment import EnvironmentError_
        from mimo.inputs import InputError

        try:
            return super().invoke(ctx)
        except (InputError, DocumentError, EnvironmentError_) as e:
            fail(str(e))


@click.group(cls=MimoGroup)
@click.version_option(package_name="pymimo")
@click.option("--store", "store_path", envvar=STORE_ENV, default=DEFAULT_STORE, show_default=True,
              help=f"store file or postgresql:// URL (or {STORE_ENV}); ':memory:' for a throw-away one")
@click.option("--env", "env_path", type=click.Path(dir_okay=False), default=None,
              help="environment TOML file (default: MIMO_* variables)")
@click.option("--api", "api_url", envvar="MIMO_API", default=None,
              help="admin API URL (or MIMO_API): manifests, schedules and selectors go there, not to --store")
@click.option("--api-token-file", envvar="MIMO_API_TOKEN_FILE", default=None,
              help="file with the bearer token for --api (or MIMO_API_TOKEN_FILE)")
@click.option("--api-cert", default=None, help="client certificate (PEM) for --api")
@click.option("--api-key", default=None, help="its private key (PEM)")
@click.option("--api-ca", default=None, help="CA (PEM) to trust for an https --api")
@click.pass_context
def cli(ctx: click.Context, store_path: str, env_path: str | None, api_url: str | None,
        api_token_file: str | None, api_cert: str | None, api_key: str | None, api_ca: str | None) -> None:
    """MIMO: run maintenance tasks against managed OpenShift clusters.

    \b
    Environment variables:
      MIMO_STORE    store file or postgresql:// URL, when --store is not given (default ./mimo.db)
      MIMO_PLUGINS  comma-separated modules with a mimo_register_tasks hookimpl,
                    registered on top of the 'mimo' entry points (for plugins
                    that are not installed; imported from sys.path, then the
                    current directory)
      MIMO_*        environment fields when --env is not given (see mimo env)

    Bad input: one line on stderr, exit code 2, nothing written.
    """
    from mimo.inputs import text

    ctx.obj = Settings(store_path=text(store_path, "--store", empty=False),
                       env_path=text(env_path, "--env", empty=False) if env_path is not None else None,
                       api_url=text(api_url, "--api", empty=False) if api_url is not None else None,
                       api_token_file=api_token_file, api_cert=api_cert, api_key=api_key, api_ca=api_ca)


for command in (clusters, manifests, schedules, selectors_cmd, tasks_cmd, env_cmd, actuator_cmd, scheduler_cmd,
                serve_cmd):
    cli.add_command(command)


def main(args: Sequence[str] | None = None) -> None:
    """The console script: click's usage errors become one ``mimo: error: …`` line, exit code 2."""
    try:
        code = cli.main(args=list(args) if args is not None else None, prog_name="mimo", standalone_mode=False)
    except click.UsageError as e:
        where = f"{e.ctx.command_path}: " if e.ctx is not None else ""
        fail(f"{where}{e.format_message()} (see --help)")
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
