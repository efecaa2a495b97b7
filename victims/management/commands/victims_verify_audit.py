from django.core.management.base import BaseCommand, CommandError

from victims.audit import chain_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the victims access log; exits non-zero on a gap or an edit."

    def handle(self, *args, **opts) -> None:
        report = chain_verify()
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(f"access log broken: {len(report.problems)} problem(s)")
        self.stdout.write(self.style.SUCCESS(f"access log intact: {report.checked} entries"))
