"""Starts moto's server for the emulator run, with small fixes for gaps that Terraform's
AWS provider trips over (moto pinned in deploy/ci/platform-checks.sh):

1. Application Auto Scaling has no ListTagsForResource in moto; the provider calls it after
   every scalable target it creates. Answer with no tags (we set none on them).
2. SESv2 CreateEmailIdentity returns LastKeyGenerationTimestamp as a string where the API has a
   number, and no DKIM tokens, which the email module publishes as CNAME records. Give the
   identity three tokens and a numeric timestamp, as SES does.
3. SESv2 has no PutEmailIdentityMailFromAttributes in moto: keep the attributes on the
   identity and return them from GetEmailIdentity, as SES does.
4. moto evaluates bucket policies but ignores their Conditions, so the modules' TLS-only
   statement (Deny unless aws:SecureTransport) denies every request, including Terraform's own
   over the emulator's plain HTTP. Evaluate bucket policies without conditional statements.
5. moto fails to delete a delete marker in a versioned bucket (it calls a dispose() that
   delete markers lack), which force_destroy does when emptying a bucket. Give them a no-op.
6. SESv2 GetConfigurationSet nests the stored SendingOptions inside another SendingOptions
   ({"SendingEnabled": {"SendingEnabled": true}}); answer {"SendingEnabled": true}, as SES does.
7. SESv2 has no configuration set event destinations in moto: keep them per configuration set
   (create, get, update, delete), as SES does.
8. AWS Backup has no vault notifications in moto (PutBackupVaultNotifications and its Get and
   Delete): keep them per vault, as AWS Backup does.
9. Secrets Manager replicas (CreateSecret AddReplicaRegions): moto makes the replica but reports
   every replica's KmsKeyId as aws/secretsmanager, dropping the key asked for, so the provider
   sees a changed replica on every plan and the DR drill could not check that the replicas use
   the DR region's key. Keep the KmsKeyId given, as Secrets Manager does.

Usage: python moto_server.py PORT  (MOTO_IAM_LOAD_MANAGED_POLICIES=true in the environment)
"""
import json
import sys
import time
from urllib.parse import unquote

from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.backup import urls as backup_urls
from moto.backup.responses import BackupResponse
from moto.server import main
from moto.s3 import models as s3_models
from moto.ses import models as ses_models
from moto.sesv2 import urls as sesv2_urls
from moto.secretsmanager import models as secretsmanager_models
from moto.sesv2.responses import SESV2Response


def list_tags_for_resource(self):  # noqa: ARG001 - moto's handler signature
    return json.dumps({"Tags": {}})


ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource

_original_init = ses_models.EmailIdentity.__init__


def _init_with_tokens(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    if "LastKeyGenerationTimestamp" in self.dkim_attributes:
        self.dkim_attributes["LastKeyGenerationTimestamp"] = int(time.time())
    if self.identity_type == "DOMAIN":
        self.dkim_attributes.setdefault("Tokens", [f"emulator-dkim-{i}" for i in range(1, 4)])


ses_models.EmailIdentity.__init__ = _init_with_tokens


def put_email_identity_mail_from_attributes(self):
    identity = self.sesv2_backend.get_email_identity(email_identity=self._get_param("EmailIdentity"))
    identity.mail_from_attributes = {
        "MailFromDomain": self._get_param("MailFromDomain"),
        "MailFromDomainStatus": "SUCCESS",
        "BehaviorOnMxFailure": self._get_param("BehaviorOnMxFailure") or "USE_DEFAULT_VALUE",
    }
    return json.dumps({})


SESV2Response.put_email_identity_mail_from_attributes = put_email_identity_mail_from_attributes
sesv2_urls.url_paths["{0}/v2/email/identities/(?P<EmailIdentity>[^/]+)/mail-from$"] = SESV2Response.dispatch
_original_response_object = ses_models.EmailIdentity.get_response_object


def _response_object_with_mail_from(self):
    response = dict(_original_response_object.fget(self))
    if getattr(self, "mail_from_attributes", None):
        response["MailFromAttributes"] = self.mail_from_attributes
    return response


ses_models.EmailIdentity.get_response_object = property(_response_object_with_mail_from)



def _get_permission_unconditional(self, action, resource):
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    policy = json.loads(self.policy.decode())
    statements = policy.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    policy["Statement"] = [st for st in statements if "Condition" not in st]
    return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)


s3_models.FakeBucket.get_permission = _get_permission_unconditional
if not hasattr(s3_models.FakeDeleteMarker, "dispose"):
    s3_models.FakeDeleteMarker.dispose = lambda self, garbage=False: None

_original_to_dict_v2 = ses_models.ConfigurationSet.to_dict_v2


def _to_dict_v2_flat_sending(self):
    response = _original_to_dict_v2(self)
    enabled = response["SendingOptions"]["SendingEnabled"]
    if isinstance(enabled, dict):
        response["SendingOptions"] = {"SendingEnabled": enabled.get("SendingEnabled", True)}
    return response


ses_models.ConfigurationSet.to_dict_v2 = _to_dict_v2_flat_sending


def _event_destinations(self):
    """{event destination name: destination} of the configuration set in the request's path."""
    name = self._get_param("ConfigurationSetName")
    self.sesv2_backend.get_configuration_set(configuration_set_name=name)  # 404 if it is unknown
    store = self.sesv2_backend.__dict__.setdefault("emulator_event_destinations", {})
    return store.setdefault(name, {})


def create_configuration_set_event_destination(self):
    destinations = _event_destinations(self)
    name = self._get_param("EventDestinationName")
    if name in destinations:
        from moto.ses.exceptions import EventDestinationAlreadyExists
        raise EventDestinationAlreadyExists(f"Event destination {name} already exists.")
    destinations[name] = {"Name": name, **(self._get_param("EventDestination") or {})}
    return json.dumps({})


def update_configuration_set_event_destination(self):
    destinations = _event_destinations(self)
    name = self._get_param("EventDestinationName")
    destinations[name] = {"Name": name, **(self._get_param("EventDestination") or {})}
    return json.dumps({})


def get_configuration_set_event_destinations(self):
    return json.dumps({"EventDestinations": list(_event_destinations(self).values())})


def delete_configuration_set_event_destination(self):
    _event_destinations(self).pop(self._get_param("EventDestinationName"), None)
    return json.dumps({})


SESV2Response.create_configuration_set_event_destination = create_configuration_set_event_destination
SESV2Response.update_configuration_set_event_destination = update_configuration_set_event_destination
SESV2Response.get_configuration_set_event_destinations = get_configuration_set_event_destinations
SESV2Response.delete_configuration_set_event_destination = delete_configuration_set_event_destination
sesv2_urls.url_paths["{0}/v2/email/configuration-sets/(?P<ConfigurationSetName>[^/]+)/event-destinations$"] = SESV2Response.dispatch
sesv2_urls.url_paths[
    "{0}/v2/email/configuration-sets/(?P<ConfigurationSetName>[^/]+)/event-destinations/(?P<EventDestinationName>[^/]+)$"
] = SESV2Response.dispatch



def _vault_notifications(self):
    """(vault, {vault name: notification configuration}) for the vault in the request's path."""
    name = unquote(self.path.split("/backup-vaults/")[1].split("/")[0])
    vault = self.backup_backend.describe_backup_vault(backup_vault_name=name)
    return vault, self.backup_backend.__dict__.setdefault("emulator_vault_notifications", {})


def put_backup_vault_notifications(self):
    vault, store = _vault_notifications(self)
    params = json.loads(self.body) if self.body else {}
    store[vault.backup_vault_name] = {
        "BackupVaultName": vault.backup_vault_name,
        "BackupVaultArn": vault.backup_vault_arn,
        "SNSTopicArn": params.get("SNSTopicArn"),
        "BackupVaultEvents": params.get("BackupVaultEvents", []),
    }
    return "{}"


def get_backup_vault_notifications(self):
    vault, store = _vault_notifications(self)
    if vault.backup_vault_name not in store:
        from moto.backup.exceptions import ResourceNotFoundException
        raise ResourceNotFoundException(msg=f"Backup vault {vault.backup_vault_name} has no notifications")
    return json.dumps(store[vault.backup_vault_name])


def delete_backup_vault_notifications(self):
    vault, store = _vault_notifications(self)
    store.pop(vault.backup_vault_name, None)
    return "{}"


BackupResponse.put_backup_vault_notifications = put_backup_vault_notifications
BackupResponse.get_backup_vault_notifications = get_backup_vault_notifications
BackupResponse.delete_backup_vault_notifications = delete_backup_vault_notifications
backup_urls.url_paths["{0}/backup-vaults/(?P<name>[^/]+)/notification-configuration$"] = BackupResponse.dispatch

_original_create_replicas = secretsmanager_models.FakeSecret.create_replicas


def _create_replicas_with_key(self, replica_regions, force_overwrite):
    replicas = _original_create_replicas(self, replica_regions, force_overwrite=force_overwrite)
    for replica, config in zip(replicas, replica_regions or []):
        if config.get("KmsKeyId"):
            replica.config["KmsKeyId"] = config["KmsKeyId"]
    return replicas


secretsmanager_models.FakeSecret.create_replicas = _create_replicas_with_key

if __name__ == "__main__":
    main(["-H", "127.0.0.1", "-p", sys.argv[1]])
