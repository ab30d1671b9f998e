"""Browser routes of the EDI gateway (namespace ``edi``), under /edi/."""

from django.urls import path

from .views import monitor, partners

app_name = "edi"

urlpatterns = [
    path("", monitor.MessageListView.as_view(), name="monitor"),
    path("errors/", monitor.ErrorQueueView.as_view(), name="error_queue"),
    path("errors/replay/", monitor.ErrorQueueReplayView.as_view(), name="error_queue_replay"),
    path("messages/<int:pk>/", monitor.MessageDetailView.as_view(), name="message_detail"),
    path("messages/<int:pk>/replay/", monitor.MessageReplayView.as_view(), name="message_replay"),
    path("interchanges/", monitor.InterchangeListView.as_view(), name="interchange_list"),
    path(
        "interchanges/<int:pk>/",
        monitor.InterchangeDetailView.as_view(),
        name="interchange_detail",
    ),
    path("interchanges/<int:pk>/raw/", monitor.interchange_raw, name="interchange_raw"),
    path(
        "interchanges/<int:pk>/resend/",
        monitor.InterchangeResendView.as_view(),
        name="interchange_resend",
    ),
    path("upload/", monitor.UploadView.as_view(), name="upload"),
    path("partners/", partners.PartnerListView.as_view(), name="partner_list"),
    path("partners/new/", partners.PartnerCreateView.as_view(), name="partner_create"),
    path("partners/<int:pk>/", partners.PartnerDetailView.as_view(), name="partner_detail"),
    path("partners/<int:pk>/edit/", partners.PartnerUpdateView.as_view(), name="partner_update"),
]
