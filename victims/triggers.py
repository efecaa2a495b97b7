"""The append-only trigger, built on django-pgtrigger but without its bypass.

pgtrigger's generated trigger functions first ask `_pgtrigger_should_ignore(TG_NAME)`, which
reads the session setting `pgtrigger.ignore`: any connection of the app's role could run
`SET LOCAL pgtrigger.ignore = '{...}'` and then edit the log. An audit log must not have that
escape hatch, so the SQL here is pgtrigger's template minus the ignore check. Disabling the
trigger then needs ALTER TABLE, i.e. the table owner: deployments should run migrations as an
owner role and serve the app with a role that owns nothing (see the victims report/README).
"""

from __future__ import annotations

from typing import Any

import pgtrigger
from pgtrigger import compiler


class NoBypassTriggerSql(compiler.UpsertTriggerSql):
    """pgtrigger's v1 installation SQL without the `pgtrigger.ignore` check."""

    def get_template(self) -> str:
        return """
            CREATE OR REPLACE FUNCTION {pgid}()
            RETURNS TRIGGER AS $$
                {declare}
                BEGIN
                    {func}
                END;
            $$ LANGUAGE plpgsql;

            DROP TRIGGER IF EXISTS {pgid} ON {table};
            CREATE {constraint} TRIGGER {pgid}
                {when} {operation} ON {table}
                {timing}
                {referencing}
                FOR EACH {level} {condition}
                EXECUTE PROCEDURE {execute};

            COMMENT ON TRIGGER {pgid} ON {table} IS '{hash}';
        """


class AppendOnly(pgtrigger.Protect):
    """Refuse UPDATE and DELETE of every row, whatever the session says.

    `erasable` names one text column that may be blanked, and nothing else: the retention
    purge erases what officers wrote about a person, and the history stays (an UPDATE passes
    only if that column becomes '' and every other column, compared as JSON, is unchanged).
    """

    def __init__(self, *, name: str, erasable: str = "", **kwargs: Any) -> None:
        super().__init__(name=name, operation=pgtrigger.Update | pgtrigger.Delete, **kwargs)
        self.erasable = erasable

    def get_func(self, model: Any) -> Any:
        refuse = super().get_func(model)
        if not self.erasable:
            return refuse
        column = self.erasable
        return self.format_sql(
            f"""
            IF TG_OP = 'UPDATE' AND NEW.{column} = ''
                AND (to_jsonb(NEW) - '{column}') = (to_jsonb(OLD) - '{column}') THEN
                RETURN NEW;
            END IF;
            {refuse}
            """
        )

    def compile(self, model: Any) -> compiler.Trigger:
        compiled = super().compile(model)
        kwargs = {k: v for k, v in compiled.sql.kwargs.items() if k != "ignore_func_name"}
        return compiler.Trigger(name=compiled.name, sql=NoBypassTriggerSql(**kwargs))
