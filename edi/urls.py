"""Browser routes of the EDI gateway (namespace ``edi``), under /edi/."""

from django.urls import path

from .views import as2, crossref, monitor, partners

app_name = "edi"

urlpatterns = [
    path("", monitor.MessageListView.as_view(), name="monitor"),
    path("errors/", monitor.ErrorQueueView.as_view(), name="error_queue"),
    path("errors/replay/", monitor.ErrorQueueReplayView.as_view(), name="error_queue_replay"),
    # The message page with the forms that map its unknown GTINs, GLNs and buyer codes (crossref.py).
    path("messages/<int:pk>/", crossref.MessageDetailView.as_view(), name="message_detail"),
    path("messages/<int:pk>/map-gtin/", crossref.MapGtinView.as_view(), name="message_map_gtin"),
    path("messages/<int:pk>/map-gln/", crossref.MapGlnView.as_view(), name="message_map_gln"),
    path(
        "messages/<int:pk>/map-buyer-code/",
        crossref.MapBuyerCodeView.as_view(),
        name="message_map_buyer_code",
    ),
    path(
        "crossref/customers/",
        crossref.lookup_customers_without_gln,
        name="crossref_customers",
    ),
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
    # AS2: partners' servers POST here, without login (the messages are signed).
    path("as2/", as2.as2_receive, name="as2_receive"),
    path("as2/mdn/", as2.as2_mdn, name="as2_mdn"),
    path("partners/", partners.PartnerListView.as_view(), name="partner_list"),
    path("partners/new/", partners.PartnerCreateView.as_view(), name="partner_create"),
    path("partners/<int:pk>/", partners.PartnerDetailView.as_view(), name="partner_detail"),
    path("partners/<int:pk>/edit/", partners.PartnerUpdateView.as_view(), name="partner_update"),
]
