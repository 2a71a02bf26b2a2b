"""Contains all the data models used in inputs/outputs"""

from .acquisition_view import AcquisitionView
from .acquisition_view_schema_type_0 import AcquisitionViewSchemaType0
from .allowance import Allowance
from .append_to_upload_tus_resumable import AppendToUploadTusResumable
from .audit_view import AuditView
from .audit_view_detail import AuditViewDetail
from .classification import Classification
from .column_evidence import ColumnEvidence
from .column_evidence_pii import ColumnEvidencePii
from .column_view import ColumnView
from .contract import Contract
from .contract_columns_item import ContractColumnsItem
from .create_upload_tus_resumable import CreateUploadTusResumable
from .create_user import CreateUser
from .created_user import CreatedUser
from .data_format import DataFormat
from .dataset_page import DatasetPage
from .dataset_summary import DatasetSummary
from .dataset_view import DatasetView
from .decision_name import DecisionName
from .error_body import ErrorBody
from .evidence import Evidence
from .evidence_findings import EvidenceFindings
from .file_accepted import FileAccepted
from .file_format import FileFormat
from .file_summary import FileSummary
from .file_view import FileView
from .get_upload_offset_tus_resumable import GetUploadOffsetTusResumable
from .health import Health
from .held_file_view import HeldFileView
from .issued_token import IssuedToken
from .lineage_view import LineageView
from .member_view import MemberView
from .new_acquisition import NewAcquisition
from .output_view import OutputView
from .part_verdict_view import PartVerdictView
from .pii_view import PiiView
from .review_queue import ReviewQueue
from .review_request import ReviewRequest
from .review_view import ReviewView
from .revoked import Revoked
from .role_name import RoleName
from .schema_change_type_0 import SchemaChangeType0
from .schema_change_type_0_change import SchemaChangeType0Change
from .schema_change_type_1 import SchemaChangeType1
from .schema_change_type_1_change import SchemaChangeType1Change
from .schema_change_type_2 import SchemaChangeType2
from .schema_change_type_2_change import SchemaChangeType2Change
from .schema_change_type_3 import SchemaChangeType3
from .schema_change_type_3_change import SchemaChangeType3Change
from .statistics_view import StatisticsView
from .table_evidence import TableEvidence
from .tags import Tags
from .terminate_upload_tus_resumable import TerminateUploadTusResumable
from .token_request import TokenRequest
from .transfer_request import TransferRequest
from .transfer_view import TransferView
from .user_ref import UserRef
from .user_view import UserView
from .verdict_view import VerdictView
from .version_view import VersionView
from .zone_name import ZoneName
from .zone_view import ZoneView

__all__ = (
    "AcquisitionView",
    "AcquisitionViewSchemaType0",
    "Allowance",
    "AppendToUploadTusResumable",
    "AuditView",
    "AuditViewDetail",
    "Classification",
    "ColumnEvidence",
    "ColumnEvidencePii",
    "ColumnView",
    "Contract",
    "ContractColumnsItem",
    "CreatedUser",
    "CreateUploadTusResumable",
    "CreateUser",
    "DataFormat",
    "DatasetPage",
    "DatasetSummary",
    "DatasetView",
    "DecisionName",
    "ErrorBody",
    "Evidence",
    "EvidenceFindings",
    "FileAccepted",
    "FileFormat",
    "FileSummary",
    "FileView",
    "GetUploadOffsetTusResumable",
    "Health",
    "HeldFileView",
    "IssuedToken",
    "LineageView",
    "MemberView",
    "NewAcquisition",
    "OutputView",
    "PartVerdictView",
    "PiiView",
    "ReviewQueue",
    "ReviewRequest",
    "ReviewView",
    "Revoked",
    "RoleName",
    "SchemaChangeType0",
    "SchemaChangeType0Change",
    "SchemaChangeType1",
    "SchemaChangeType1Change",
    "SchemaChangeType2",
    "SchemaChangeType2Change",
    "SchemaChangeType3",
    "SchemaChangeType3Change",
    "StatisticsView",
    "TableEvidence",
    "Tags",
    "TerminateUploadTusResumable",
    "TokenRequest",
    "TransferRequest",
    "TransferView",
    "UserRef",
    "UserView",
    "VerdictView",
    "VersionView",
    "ZoneName",
    "ZoneView",
)
